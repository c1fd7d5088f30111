from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ferry.sandboxes.dynamics365 import Dynamics365Sandbox
from ferry.sandboxes.kit import ManualClock
from tests.sandboxes.dynamics365.conftest import BASE, fetch_token


class Receiver:
    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.calls: list[tuple[dict[str, str], dict[str, Any], str]] = []
        self.app = Starlette(routes=[Route("/hook", self.hook, methods=["POST"])])

    async def hook(self, request: Request) -> Response:
        self.calls.append((dict(request.headers), orjson.loads(await request.body()), str(request.url)))
        return Response(status_code=self.status)


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


@pytest.fixture
async def hooked(receiver: Receiver, clock: ManualClock) -> AsyncIterator[tuple[Dynamics365Sandbox, httpx.AsyncClient]]:
    sandbox = Dynamics365Sandbox(
        base_url=BASE,
        clock=clock,
        sizes={"accounts": 10, "salesorders": 2},
        webhook_transport=httpx.ASGITransport(app=receiver.app),
        webhook_retry_delays=[0],
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox), base_url=BASE) as anon:
        token = await fetch_token(anon, sandbox)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sandbox),
        base_url=f"{BASE}/api/data/v9.2/",
        headers={"Authorization": f"Bearer {token}"},
    ) as client:
        yield sandbox, client


async def register(
    api: httpx.AsyncClient,
    message: str,
    table: str,
    *,
    attributes: str | None = None,
    auth: tuple[int, str] | None = (5, '<settings><setting name="x-api-key" value="s3cret" /></settings>'),
) -> str:
    endpoint = {"name": "ferry", "url": "http://receiver.test/hook", "contract": 8, "messageformat": 2}
    if auth:
        endpoint.update(authtype=auth[0], authvalue=auth[1])
    r = await api.post("serviceendpoints", json=endpoint)
    endpoint_url = r.headers["odata-entityid"]
    msg = (await api.get("sdkmessages", params={"$filter": f"name eq '{message}'"})).json()["value"][0]
    flt = (
        await api.get(
            "sdkmessagefilters",
            params={"$filter": f"primaryobjecttypecode eq '{table}' and _sdkmessageid_value eq {msg['sdkmessageid']}"},
        )
    ).json()
    step = {
        "name": f"ferry {message} {table}",
        "stage": 40,
        "mode": 1,
        "rank": 1,
        "supporteddeployment": 0,
        "sdkmessageid@odata.bind": f"/sdkmessages({msg['sdkmessageid']})",
        "sdkmessagefilterid@odata.bind": f"/sdkmessagefilters({flt['value'][0]['sdkmessagefilterid']})",
        "eventhandler_serviceendpoint@odata.bind": endpoint_url,
    }
    if attributes:
        step["filteringattributes"] = attributes
    r = await api.post("sdkmessageprocessingsteps", json=step)
    assert r.status_code == 204, r.text
    step_url: str = r.headers["odata-entityid"]
    return step_url


async def settle(sandbox: Dynamics365Sandbox) -> None:
    async with asyncio.timeout(5):
        await sandbox.webhooks.wait_idle()


async def test_create_is_delivered_with_the_execution_context(
    hooked: tuple[Dynamics365Sandbox, httpx.AsyncClient], receiver: Receiver
) -> None:
    sandbox, api = hooked
    await register(api, "Create", "account")
    r = await api.post("accounts", json={"name": "Hooked Ltd", "creditlimit": 5000})
    await settle(sandbox)
    assert len(receiver.calls) == 1
    headers, body, _url = receiver.calls[0]
    assert headers["x-api-key"] == "s3cret"
    assert headers["x-ms-dynamics-entity-name"] == "account"
    assert headers["x-ms-dynamics-request-name"] == "Create"
    assert body["MessageName"] == "Create"
    assert body["PrimaryEntityName"] == "account"
    assert body["PrimaryEntityId"] in r.headers["odata-entityid"]
    assert body["OutputParameters"] == [{"key": "id", "value": body["PrimaryEntityId"]}]
    assert body["ParentContext"]["Stage"] == 30
    target = body["InputParameters"][0]["value"]
    attributes = {a["key"]: a["value"] for a in target["Attributes"]}
    assert attributes["name"] == "Hooked Ltd"
    assert attributes["creditlimit"] == {
        "__type": "Money:http://schemas.microsoft.com/xrm/2011/Contracts",
        "Value": 5000.0,
    }
    assert attributes["statecode"]["Value"] == 0
    assert attributes["createdon"].startswith("/Date(")


async def test_update_step_with_filtering_attributes_fires_only_for_them(
    hooked: tuple[Dynamics365Sandbox, httpx.AsyncClient], receiver: Receiver
) -> None:
    sandbox, api = hooked
    await register(api, "Update", "account", attributes="telephone1")
    account = (await api.get("accounts", params={"$top": "1"})).json()["value"][0]
    await api.patch(f"accounts({account['accountid']})", json={"websiteurl": "https://example.com"})
    await api.patch(f"accounts({account['accountid']})", json={"telephone1": "555-0100"})
    await settle(sandbox)
    assert len(receiver.calls) == 1
    target = receiver.calls[0][1]["InputParameters"][0]["value"]
    assert {a["key"]: a["value"] for a in target["Attributes"]}["telephone1"] == "555-0100"


async def test_delete_carries_an_entity_reference(
    hooked: tuple[Dynamics365Sandbox, httpx.AsyncClient], receiver: Receiver
) -> None:
    sandbox, api = hooked
    await register(api, "Delete", "contact", auth=(4, "function-key"))
    contact = (await api.get("contacts", params={"$top": "1"})).json()["value"][0]
    await api.delete(f"contacts({contact['contactid']})")
    await settle(sandbox)
    _headers, body, url = receiver.calls[0]
    assert url.endswith("?code=function-key")
    assert body["InputParameters"][0]["value"]["__type"].startswith("EntityReference:")
    assert body["InputParameters"][0]["value"]["Id"] == contact["contactid"]


async def test_a_503_is_retried_once_then_recorded_as_a_failed_system_job(
    hooked: tuple[Dynamics365Sandbox, httpx.AsyncClient], receiver: Receiver
) -> None:
    sandbox, api = hooked
    receiver.status = 503
    step_url = await register(api, "Create", "contact")
    await api.post("contacts", json={"lastname": "Unlucky"})
    await settle(sandbox)
    assert len(receiver.calls) == 2
    step_id = step_url.rsplit("(", 1)[1].rstrip(")")
    jobs = (
        await api.get(
            "asyncoperations", params={"$filter": f"statuscode eq 31 and _owningextensionid_value eq {step_id}"}
        )
    ).json()
    assert len(jobs["value"]) == 1
    assert "503" in jobs["value"][0]["message"]


async def test_a_500_is_not_retried(hooked: tuple[Dynamics365Sandbox, httpx.AsyncClient], receiver: Receiver) -> None:
    sandbox, api = hooked
    receiver.status = 500
    await register(api, "Create", "contact")
    await api.post("contacts", json={"lastname": "Once"})
    await settle(sandbox)
    assert len(receiver.calls) == 1


async def test_disabled_step_sends_nothing(
    hooked: tuple[Dynamics365Sandbox, httpx.AsyncClient], receiver: Receiver
) -> None:
    sandbox, api = hooked
    step_url = await register(api, "Create", "contact")
    await api.patch(step_url, json={"statecode": 1, "statuscode": 2})
    await api.post("contacts", json={"lastname": "Silent"})
    await settle(sandbox)
    assert receiver.calls == []


async def test_generated_activity_fires_webhooks(
    hooked: tuple[Dynamics365Sandbox, httpx.AsyncClient], receiver: Receiver
) -> None:
    sandbox, api = hooked
    await register(api, "Create", "salesorder")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox), base_url=BASE) as control:
        r = await control.post("/_sandbox/generate", json={"entity": "salesorders", "count": 3, "wait": True})
    await settle(sandbox)
    assert len(r.json()["ids"]) == 3
    assert sorted(c[1]["PrimaryEntityId"] for c in receiver.calls) == sorted(r.json()["ids"])
    creators = {c[1]["InitiatingUserId"] for c in receiver.calls}
    me = (await api.get("WhoAmI")).json()["UserId"]
    assert me not in creators  # made by people in the sandbox, not by the integration's own user


async def test_a_write_in_a_batch_outside_a_change_set_is_delivered(
    hooked: tuple[Dynamics365Sandbox, httpx.AsyncClient], receiver: Receiver
) -> None:
    from tests.sandboxes.dynamics365.test_batch import part, send

    sandbox, api = hooked
    await register(api, "Create", "account")
    r = await send(api, [part("POST", "/api/data/v9.2/accounts", {"name": "Batched Ltd"})], "odata.continue-on-error")
    assert r.status_code == 200 and "HTTP/1.1 204" in r.text
    await settle(sandbox)
    assert [body["InputParameters"][0]["value"]["LogicalName"] for _h, body, _u in receiver.calls] == ["account"]


async def test_the_endpoint_secret_is_written_but_never_read_back(
    hooked: tuple[Dynamics365Sandbox, httpx.AsyncClient],
) -> None:
    _sandbox, api = hooked
    await register(api, "Create", "account")
    (endpoint,) = (await api.get("serviceendpoints")).json()["value"]
    assert endpoint["authtype"] == 5 and "authvalue" not in endpoint
    definition = (
        await api.get("EntityDefinitions(LogicalName='serviceendpoint')/Attributes(LogicalName='authvalue')")
    ).json()
    assert definition["IsValidForRead"] is False
