"""Dataverse webhooks: a `serviceendpoint` (contract 8, Webhook) with one `sdkmessageprocessingstep`
per message (Create, Update, Delete) and table, asynchronous, post-operation (stage 40).

Dataverse signs nothing: the endpoint's HttpHeader auth (authtype 5) makes it send a shared secret
in a header, which `parse` compares in constant time. A delivery's body is the
`RemoteExecutionContext` (DataContract JSON); `parse` reads the table, the row id, the message and
the row version out of it. The notice carries no data: the engine fetches the current row.
"""

from __future__ import annotations

import hmac
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from ferry.connectors.dynamics365.client import DataverseClient
from ferry.connectors.dynamics365.entities import Catalog
from ferry.connectors.dynamics365.query import literal
from ferry.core import jsoncodec
from ferry.core.errors import AuthError, ValidationError
from ferry.core.records import ChangeNotice

SECRET_HEADER = "x-ferry-webhook-secret"
MESSAGES = ("Create", "Update", "Delete")
WEBHOOK_CONTRACT = 8
AUTH_HTTP_HEADER = 5
MESSAGE_FORMAT_JSON = 2
STAGE_POST_OPERATION = 40
MODE_ASYNCHRONOUS = 1
_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")

Catalogue = Callable[[], Awaitable[Catalog]]


class DataverseWebhooks:
    """The `WebhookSource` of a Dataverse connection."""

    def __init__(self, client: DataverseClient, catalog: Catalogue, known: Callable[[], Catalog | None]) -> None:
        self.client = client
        self._catalog = catalog
        self._known = known

    # --- registration --------------------------------------------------------------------------------

    async def subscribe(self, url: str, entities: Sequence[str], secret: str) -> str:
        """Register (or bring up to date) the endpoint for `url` and exactly one step per message and table."""
        catalog = await self._catalog()
        logical = {catalog.table(e).logical_name for e in entities}
        endpoint = await self._endpoint(url, secret)
        messages = await self._messages()
        filters = await self._filters(messages, logical)
        steps = await self.client.get_json(
            "sdkmessageprocessingsteps",
            {
                "$select": "sdkmessageprocessingstepid,_sdkmessagefilterid_value",
                "$filter": f"_eventhandler_value eq {endpoint}",
            },
        )
        have = {str(s.get("_sdkmessagefilterid_value")): str(s["sdkmessageprocessingstepid"]) for s in steps["value"]}
        for (message, table), filter_id in sorted(filters.items()):
            if filter_id in have:
                continue
            await self.client.request(
                "POST",
                "sdkmessageprocessingsteps",
                json={
                    "name": f"ferry: {message} of {table}",
                    "description": f"Sends {message} of {table} to {url}",
                    "stage": STAGE_POST_OPERATION,
                    "mode": MODE_ASYNCHRONOUS,
                    "rank": 1,
                    "supporteddeployment": 0,
                    "asyncautodelete": True,
                    "sdkmessageid@odata.bind": f"/sdkmessages({messages[message]})",
                    "sdkmessagefilterid@odata.bind": f"/sdkmessagefilters({filter_id})",
                    "eventhandler_serviceendpoint@odata.bind": f"/serviceendpoints({endpoint})",
                },
            )
        wanted = set(filters.values())
        for filter_id, step_id in have.items():
            if filter_id not in wanted:  # a table no longer subscribed to
                await self.client.request("DELETE", f"sdkmessageprocessingsteps({step_id})", ok=(404,))
        return endpoint

    async def unsubscribe(self, subscription_id: str) -> None:
        """Remove the endpoint's steps, then the endpoint (nothing to do if it is gone)."""
        endpoint = literal(subscription_id, "Edm.Guid")
        steps = await self.client.get_json(
            "sdkmessageprocessingsteps",
            {"$select": "sdkmessageprocessingstepid", "$filter": f"_eventhandler_value eq {endpoint}"},
        )
        for step in steps["value"]:
            await self.client.request(
                "DELETE", f"sdkmessageprocessingsteps({step['sdkmessageprocessingstepid']})", ok=(404,)
            )
        await self.client.request("DELETE", f"serviceendpoints({endpoint})", ok=(404,))

    async def _endpoint(self, url: str, secret: str) -> str:
        settings = ET.Element("settings")
        ET.SubElement(settings, "setting", name=SECRET_HEADER, value=secret)
        body = {
            "name": _endpoint_name(url),
            "url": url,
            "contract": WEBHOOK_CONTRACT,
            "authtype": AUTH_HTTP_HEADER,
            "authvalue": ET.tostring(settings, encoding="unicode"),
            "messageformat": MESSAGE_FORMAT_JSON,
            "description": "Change notifications for ferry",
        }
        found = await self.client.get_json(
            "serviceendpoints",
            {"$select": "serviceendpointid", "$filter": f"contract eq {WEBHOOK_CONTRACT} and url eq {literal(url)}"},
        )
        if found["value"]:
            endpoint = str(found["value"][0]["serviceendpointid"])
            # The secret may have been rotated; `authvalue` cannot be read back, so write it again.
            auth = {k: body[k] for k in ("authtype", "authvalue", "messageformat")}
            await self.client.request("PATCH", f"serviceendpoints({endpoint})", json=auth, headers={"If-Match": "*"})
            return endpoint
        response = await self.client.request("POST", "serviceendpoints", json=body)
        m = re.search(r"\(([0-9a-fA-F-]{36})\)", response.headers.get("odata-entityid", ""))
        if m is None:
            raise ValidationError("Dataverse created the service endpoint without saying its id (OData-EntityId).")
        return m.group(1).lower()

    async def _messages(self) -> dict[str, str]:
        condition = " or ".join(f"name eq '{m}'" for m in MESSAGES)
        found = await self.client.get_json("sdkmessages", {"$select": "sdkmessageid,name", "$filter": condition})
        return {str(m["name"]): str(m["sdkmessageid"]) for m in found["value"] if m.get("name") in MESSAGES}

    async def _filters(self, messages: Mapping[str, str], tables: set[str]) -> dict[tuple[str, str], str]:
        """(message, table) -> sdkmessagefilterid."""
        if not tables:
            return {}
        by_id = {v: k for k, v in messages.items()}
        condition = (
            "("
            + " or ".join(f"primaryobjecttypecode eq {literal(t)}" for t in sorted(tables))
            + ") and ("
            + " or ".join(f"_sdkmessageid_value eq {m}" for m in messages.values())
            + ")"
        )
        found = await self.client.get_json(
            "sdkmessagefilters",
            {"$select": "sdkmessagefilterid,primaryobjecttypecode,_sdkmessageid_value", "$filter": condition},
        )
        out: dict[tuple[str, str], str] = {}
        for item in found["value"]:
            message = by_id.get(str(item.get("_sdkmessageid_value")))
            if message:
                out[(message, str(item["primaryobjecttypecode"]))] = str(item["sdkmessagefilterid"])
        missing = {t for t in tables if not any((m, t) in out for m in MESSAGES)}
        if missing:
            raise ValidationError(
                f"Dataverse has no Create/Update/Delete message filters for {', '.join(sorted(missing))}."
            )
        return out

    # --- deliveries ----------------------------------------------------------------------------------

    def parse(self, headers: Mapping[str, str], body: bytes, secret: str) -> list[ChangeNotice]:
        """Verify the shared secret and read one `RemoteExecutionContext`."""
        given = headers.get(SECRET_HEADER)
        if given is None or not hmac.compare_digest(given.encode(), secret.encode()):
            raise AuthError("The webhook delivery did not carry this subscription's secret.")
        try:
            context = jsoncodec.loads(body)
        except ValueError:
            raise ValidationError("The webhook body is not JSON.") from None
        if not isinstance(context, Mapping):
            raise ValidationError("The webhook body is not a Dataverse execution context.")
        message, table, row_id = (context.get(k) for k in ("MessageName", "PrimaryEntityName", "PrimaryEntityId"))
        if not (isinstance(message, str) and isinstance(table, str) and isinstance(row_id, str)):
            raise ValidationError("The execution context lacks MessageName, PrimaryEntityName or PrimaryEntityId.")
        try:
            record_id = str(uuid.UUID(row_id))
        except ValueError:
            raise ValidationError(f"PrimaryEntityId '{row_id[:40]}' is not a GUID.") from None
        event = context.get("OperationId") or context.get("CorrelationId")
        return [
            ChangeNotice(
                entity=self._set_name(table),
                id=record_id,
                kind="delete" if message == "Delete" else "upsert",
                version=_row_version(context) if message != "Delete" else None,
                occurred_at=_date(context.get("OperationCreatedOn")),
                event_id=f"{event}:{record_id}" if event else None,
            )
        ]

    def _set_name(self, logical: str) -> str:
        catalog = self._known()
        found = catalog.set_name(logical) if catalog else None
        return found or _plural(logical)


def _endpoint_name(url: str) -> str:
    return f"ferry {uuid.uuid5(uuid.NAMESPACE_URL, url).hex[:12]}"


def _row_version(context: Mapping[str, Any]) -> str | None:
    for parameter in context.get("InputParameters") or []:
        if isinstance(parameter, Mapping) and parameter.get("key") == "Target":
            target = parameter.get("value")
            if isinstance(target, Mapping) and target.get("RowVersion"):
                return str(target["RowVersion"])
    for image in context.get("PostEntityImages") or []:
        value = image.get("value") if isinstance(image, Mapping) else None
        if isinstance(value, Mapping) and value.get("RowVersion"):
            return str(value["RowVersion"])
    return None


def _date(value: Any) -> datetime | None:
    """`/Date(1506409448000-0700)/` (milliseconds since the epoch, UTC; the offset is informational)."""
    m = _DATE.match(value) if isinstance(value, str) else None
    if m is None:
        return None
    when = datetime.fromtimestamp(int(m.group(1)) / 1000, UTC)
    if m.group(2):
        sign = 1 if m.group(2)[0] == "+" else -1
        offset = timedelta(hours=int(m.group(2)[1:3]), minutes=int(m.group(2)[3:]))
        return when.astimezone(timezone(sign * offset))
    return when


def _plural(logical: str) -> str:
    """Dataverse's usual entity set name for a table, for when the metadata has not been read."""
    if logical.endswith("y") and not logical.endswith(("ay", "ey", "oy", "uy")):
        return logical[:-1] + "ies"
    if logical.endswith(("s", "x", "z", "ch", "sh")):
        return logical + "es"
    return logical + "s"
