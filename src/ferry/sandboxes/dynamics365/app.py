"""The Dynamics 365 (Dataverse) sandbox: Entra ID token endpoints plus the Web API at `/api/data/v9.2/`."""

from __future__ import annotations

import base64
import binascii
import json
import random
import uuid
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, unquote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ferry.sandboxes.dynamics365.batch import BatchItem, BatchRunner, parse_batch
from ferry.sandboxes.dynamics365.entra import AppRegistration, EntraTenant, TokenRefused
from ferry.sandboxes.dynamics365.errors import PAYLOAD_ERROR, ODataError
from ferry.sandboxes.dynamics365.paths import API_VERSIONS
from ferry.sandboxes.dynamics365.protection import ServiceProtection
from ferry.sandboxes.dynamics365.seed import Seeder, seeded_id
from ferry.sandboxes.dynamics365.service import ApiRequest, ApiResponse, DataverseService
from ferry.sandboxes.dynamics365.store import Ref
from ferry.sandboxes.dynamics365.webhooks import WebhookPublisher
from ferry.sandboxes.kit.base import READS_ONLY, Sandbox
from ferry.sandboxes.kit.bodies import BodyError, JSONResponse, dumps, read_body
from ferry.sandboxes.kit.clock import Clock
from ferry.sandboxes.kit.world import Company, World

CLIENT_ID = "51f81489-12ee-4a9e-aaae-a2591f45987d"
CLIENT_SECRET = "ferry-dataverse-sandbox-secret"
TENANT_ALIAS = "ferrysandbox.onmicrosoft.com"


class Dynamics365Sandbox(Sandbox):
    name = "dynamics365"
    title = "Dynamics 365 (Dataverse Web API)"
    default_port = 7071
    generatable = ("accounts", "contacts", "salesorders")

    def __init__(self, *, seed: int = 42, clock: Clock | None = None, **kwargs: Any) -> None:
        clock = clock or Clock()
        self.tenant_id = seeded_id(seed, "tenant")
        app = AppRegistration(CLIENT_ID, CLIENT_SECRET, seeded_id(seed, "app-object"))
        self.entra = EntraTenant(self.tenant_id, app, clock)
        self.protection = ServiceProtection(clock)
        super().__init__(seed=seed, clock=clock, **kwargs)

    # --- Sandbox hooks ---------------------------------------------------------------------------

    def seed_state(self, seed: int, sizes: dict[str, int] | None) -> None:
        organization = {
            "id": seeded_id(seed, "organization"),
            "business_unit_id": seeded_id(seed, "businessunit"),
            "name": "ferrysandbox",
            "app_oid": self.entra.app.object_id,
            "system_user": seeded_id(seed, "systemuser", "SYSTEM"),
        }
        self.service = DataverseService(self.clock, organization, lambda: self.base_url)
        self._world = World(seed + 7)  # a world apart from the seeded one, for records made later
        self.app_user = seeded_id(seed, "systemuser", "application")
        Seeder(self.service, seed, sizes, self.app_user, CLIENT_ID).run()
        self.publisher = WebhookPublisher(self.service, self.webhooks, lambda: self.webhooks.retry_delays)
        self._generator = random.Random(seed + 1)
        self._generated = 0

    def credentials(self) -> dict[str, str]:
        return {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "tenant_id": self.tenant_id,
            "authority": f"{self.base_url}/{self.tenant_id}",
            "scope": f"{self.base_url}/.default",
        }

    def error_response(self, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
        return JSONResponse(
            {"error": {"code": "", "message": message}},
            status_code=status,
            headers={"OData-Version": "4.0", **(headers or {})},
        )

    def on_faults_changed(self) -> None:
        settings = self.faults.settings
        self.entra.expire_all = settings.expire_tokens
        limit = settings.rate_limit
        self.protection.configure(limit.requests if limit else None, limit.per_seconds if limit else None)

    def banner(self) -> list[str]:
        return [
            f"Web API:     {self.base_url}/api/data/v9.2/ (OData v4: accounts, contacts, products, salesorders, "
            "invoices, msdyn_purchaseorders, msdyn_productinventories, ...)",
            f"token:       POST {self.base_url}/{self.tenant_id}/oauth2/v2.0/token "
            f"(client credentials, scope {self.base_url}/.default)",
        ]

    def generate_one(self, entity: str) -> str:
        r = self._generator
        self._generated += 1
        rep = r.choice([u for u in self.service.store.rows["systemuser"].values() if u.get("internalemailaddress")])
        caller = Ref("systemuser", rep["systemuserid"])
        world_company = self._world_company()
        if entity == "accounts":
            a = world_company.address
            body: dict[str, Any] = {
                "name": world_company.name.strip(),
                "accountnumber": f"A-{9001 + self._generated}",
                "telephone1": world_company.phone,
                "emailaddress1": world_company.email,
                "address1_line1": a.line1,
                "address1_city": a.city,
                "address1_stateorprovince": a.state,
                "address1_postalcode": a.postal_code,
                "address1_country": a.country,
                "customertypecode": 3,
            }
            set_name = "accounts"
        elif entity == "contacts":
            account = r.choice(list(self.service.store.rows["account"].values()))
            person = world_company.contacts[0] if world_company.contacts else None
            body = {
                "firstname": person.first_name if person else "Alex",
                "lastname": person.last_name if person else "Doe",
                "emailaddress1": person.email if person else None,
                "parentcustomerid_account@odata.bind": f"/accounts({account['accountid']})",
            }
            set_name = "contacts"
        else:
            accounts = [a for a in self.service.store.rows["account"].values() if a.get("customertypecode") == 3]
            account = r.choice(accounts)
            products = [p for p in self.service.store.rows["product"].values() if p["statecode"] == 0]
            body = {
                "name": f"Order for {account['name'].strip()}",
                "customerid_account@odata.bind": f"/accounts({account['accountid']})",
                "order_details": [
                    {
                        "productid@odata.bind": f"/products({p['productid']})",
                        "quantity": Decimal(r.choice((1, 2, 5, 10))),
                    }
                    for p in r.sample(products, r.randint(1, 3))
                ],
            }
            set_name = "salesorders"
        response = self.service.execute(ApiRequest("POST", set_name, [], {}, body, caller))
        if response.status >= 400:
            raise RuntimeError(f"generating {entity} failed: {response.body}")
        self.publisher.publish(response.changes, caller)
        return response.changes[0].id

    def _world_company(self) -> Company:
        return self._world.companies(self._generated)[-1]

    # --- routes ----------------------------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        api = ["GET", "POST", "PATCH", "PUT", "DELETE"]
        return [
            Route("/common/discovery/instance", self._instance_discovery, methods=["GET"]),
            Route("/{tenant}/v2.0/.well-known/openid-configuration", self._openid_v2, methods=["GET"]),
            Route("/{tenant}/.well-known/openid-configuration", self._openid_v1, methods=["GET"]),
            Route("/{tenant}/oauth2/v2.0/token", self._token_v2, methods=["POST"]),
            Route("/{tenant}/oauth2/token", self._token_v1, methods=["POST"]),
            Route("/{tenant}/discovery/v2.0/keys", self._keys, methods=["GET"]),
            Route("/{tenant}/discovery/keys", self._keys, methods=["GET"]),
            Route("/api/data/{version}/", self._web_api, methods=api),
            Route("/api/data/{version}/{path:path}", self._web_api, methods=api),
        ]

    # --- Entra ID ----------------------------------------------------------------------------------

    def _known_tenant(self, tenant: str) -> bool:
        return tenant in (self.tenant_id, TENANT_ALIAS, "organizations")

    async def _instance_discovery(self, request: Request) -> Response:
        return JSONResponse(
            {
                "tenant_discovery_endpoint": f"{self.base_url}/{self.tenant_id}/v2.0/.well-known/openid-configuration",
                "api-version": "1.1",
                "metadata": [
                    {
                        "preferred_network": request.url.netloc,
                        "preferred_cache": request.url.netloc,
                        "aliases": [request.url.netloc],
                    }
                ],
            }
        )

    async def _openid_v2(self, request: Request) -> Response:
        return self._openid(request, v2=True)

    async def _openid_v1(self, request: Request) -> Response:
        return self._openid(request, v2=False)

    def _openid(self, request: Request, *, v2: bool) -> Response:
        tenant = request.path_params["tenant"]
        if not self._known_tenant(tenant):
            return JSONResponse(self.entra.error("invalid_tenant", 90002, f"Tenant '{tenant}' not found."), 400)
        return JSONResponse(self.entra.openid_configuration(self.base_url, v2=v2))

    async def _keys(self, request: Request) -> Response:
        return JSONResponse(self.entra.jwks())

    async def _token_v2(self, request: Request) -> Response:
        return await self._token(request, v2=True)

    async def _token_v1(self, request: Request) -> Response:
        return await self._token(request, v2=False)

    async def _token(self, request: Request, *, v2: bool) -> Response:
        tenant = request.path_params["tenant"]
        entra = self.entra
        if not self._known_tenant(tenant):
            return JSONResponse(
                entra.error(
                    "invalid_request",
                    90002,
                    f"Tenant '{tenant}' not found. Check to make sure "
                    "you have the correct tenant ID and are signing into the correct cloud.",
                ),
                400,
            )
        try:
            form = dict(parse_qsl((await read_body(request, 64 * 1024)).decode(), keep_blank_values=True))
        except (BodyError, UnicodeDecodeError):
            return JSONResponse(
                entra.error(
                    "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'."
                ),
                400,
            )
        client_id, secret = form.get("client_id"), form.get("client_secret")
        basic = request.headers.get("authorization", "")
        if basic.lower().startswith("basic "):
            try:
                user, _, password = base64.b64decode(basic[6:]).decode().partition(":")
                client_id, secret = unquote(user), unquote(password)
            except (binascii.Error, UnicodeDecodeError):
                return JSONResponse(
                    entra.error("invalid_client", 7000216, "The client credentials are malformed."), 401
                )
        if form.get("grant_type") != "client_credentials":
            return JSONResponse(
                entra.error(
                    "unsupported_grant_type",
                    70003,
                    "The app requested an unsupported grant "
                    f"type '{form.get('grant_type')}'. This sandbox issues client credentials "
                    "tokens only.",
                ),
                400,
            )
        if v2:
            scope = form.get("scope", "")
            if not scope.endswith("/.default") or " " in scope.strip():
                return JSONResponse(
                    entra.error(
                        "invalid_scope",
                        1002012,
                        f"The provided value for scope {scope} is not "
                        "valid. Client credential flows must have a scope value with /.default "
                        "suffixed to the resource identifier (application ID URI).",
                    ),
                    400,
                )
            resource = scope[: -len("/.default")]
        else:
            resource = form.get("resource", "")
        if resource.rstrip("/").lower() not in self._audiences():
            return JSONResponse(
                entra.error(
                    "invalid_resource",
                    500011,
                    f"The resource principal named {resource} was "
                    f"not found in the tenant named {self.tenant_id}. Use the environment URL "
                    f"{self.base_url} as the resource.",
                ),
                400,
            )
        refused = entra.check_client(client_id, secret)
        if refused is not None:
            return JSONResponse(refused[1], refused[0])
        token, lifetime = entra.issue(self.base_url)
        if v2:
            return JSONResponse(
                {"token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime, "access_token": token}
            )
        now = int(self.clock.now().timestamp())
        return JSONResponse(
            {
                "token_type": "Bearer",
                "expires_in": str(lifetime),
                "ext_expires_in": str(lifetime),
                "expires_on": str(now + lifetime),
                "not_before": str(now),
                "resource": resource,
                "access_token": token,
            }
        )

    def _audiences(self) -> set[str]:
        return {self.base_url.lower(), self.base_url.lower().replace("127.0.0.1", "localhost")}

    # --- Web API -------------------------------------------------------------------------------------

    def _unauthorized(self, description: str | None) -> Response:
        challenge = (
            f"Bearer authorization_uri={self.base_url}/{self.tenant_id}/oauth2/authorize, resource_id={self.base_url}/"
        )
        if description:
            challenge = f"Bearer error=invalid_token, error_description={description}, " + challenge[len("Bearer ") :]
        return Response(status_code=401, headers={"WWW-Authenticate": challenge, "OData-Version": "4.0"})

    def _caller(self, request: Request) -> Ref | Response:
        header = request.headers.get("authorization", "")
        if not header.lower().startswith("bearer "):
            return self._unauthorized(None)
        try:
            claims = self.entra.verify(header[7:].strip(), self._audiences() | {a + "/" for a in self._audiences()})
        except TokenRefused as exc:
            return self._unauthorized(exc.description)
        for user in self.service.store.rows["systemuser"].values():
            if user.get("applicationid") == claims.get("appid"):
                if user.get("isdisabled"):
                    return _error(
                        ODataError(403, "0x8004e10b", f"The user with SystemUserId={user['systemuserid']} is disabled.")
                    )
                return Ref("systemuser", user["systemuserid"])
        return _error(
            ODataError(
                403,
                "0x80072560",
                f"The user is not a member of the organization. Add the application "
                f"{claims.get('appid')} as an application user.",
            )
        )

    async def _web_api(self, request: Request) -> Response:
        version = request.path_params["version"]
        if version not in API_VERSIONS:
            return _error(ODataError(404, "0x80060888", f"Resource not found for the segment 'v{version}'."))
        caller = self._caller(request)
        if isinstance(caller, Response):
            return caller
        try:
            self.protection.enter(caller.id)
        except ODataError as exc:
            return _error(exc)
        try:
            return await self._serve(request, version, caller)
        finally:
            self.protection.leave(caller.id)

    async def _serve(self, request: Request, version: str, caller: Ref) -> Response:
        try:
            remaining = self.protection.admit(caller.id)
            raw = await read_body(request, self.max_body_bytes) if request.method in ("POST", "PATCH", "PUT") else b""
        except ODataError as exc:
            return _error(exc)
        except BodyError as exc:
            code = "0x80040216" if exc.status == 413 else PAYLOAD_ERROR
            return _error(ODataError(exc.status, code, exc.message))
        raw_path = request.scope.get("raw_path", request.url.path.encode()).decode("latin-1").split("?", 1)[0]
        path = raw_path.split(f"/api/data/{version}/", 1)[1] if f"/api/data/{version}/" in raw_path else ""
        headers = {k.lower(): v for k, v in request.headers.items()}
        headers["prefer"] = ",".join(request.headers.getlist("prefer"))
        extra = {"x-ms-ratelimit-burst-remaining-xrm-requests": str(remaining), "REQ_ID": str(uuid.uuid4())}
        if path.strip("/") == "$batch":
            if request.method != "POST":
                return _error(ODataError(405, "0x80060888", "$batch only accepts POST."))
            try:
                parts = parse_batch(raw, request.headers.get("content-type", ""))
            except ODataError as exc:
                return _error(exc)
            if all(isinstance(part, BatchItem) and part.method == "GET" for part in parts):
                request.scope[READS_ONLY] = True  # a read, however it travels
            runner = BatchRunner(self.service, caller, headers["prefer"])
            with self.lock:
                status, payload, content_type = runner.run(parts)
            self.publisher.publish(runner.changes, caller)
            return Response(payload, status, headers={"OData-Version": "4.0", **extra}, media_type=content_type)
        body: dict[str, Any] | None = None
        if raw.strip():
            content_type = request.headers.get("content-type", "application/json")
            if "json" not in content_type:
                return _error(
                    ODataError(
                        415, "0x80048d19", f"Content-Type '{content_type}' is not supported; send application/json."
                    )
                )
            try:
                parsed = json.loads(raw, parse_float=Decimal)
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                return _error(ODataError(400, PAYLOAD_ERROR, f"Invalid JSON. {exc}."))
            if not isinstance(parsed, dict):
                return _error(ODataError(400, PAYLOAD_ERROR, "The request body must be a JSON object."))
            body = parsed
        api_request = ApiRequest(request.method, path, request.query_params.multi_items(), headers, body, caller)
        with self.lock:
            response = self.service.execute(api_request)
        self.publisher.publish(response.changes, caller)
        return _to_starlette(response, extra)


def _error(exc: ODataError) -> Response:
    return JSONResponse(exc.body(), exc.status, headers={"OData-Version": "4.0", **exc.headers})


def _to_starlette(response: ApiResponse, extra: dict[str, str]) -> Response:
    headers = {"OData-Version": "4.0", **extra, **response.headers}
    if response.body is None:
        return Response(status_code=response.status, headers=headers)
    if isinstance(response.body, str):
        return Response(response.body, response.status, headers=headers, media_type=response.content_type)
    return Response(dumps(response.body), response.status, headers=headers, media_type=response.content_type)
