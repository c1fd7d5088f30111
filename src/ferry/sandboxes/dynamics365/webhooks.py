"""Webhooks as Dataverse sends them: registered steps, the RemoteExecutionContext body, and failures
recorded as failed System Jobs (`asyncoperations`) (`specs/dataverse.md` §1.11)."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from ferry.sandboxes.dynamics365.schema import CHOICE_KINDS, Kind, Table
from ferry.sandboxes.dynamics365.store import Change, Ref, Row
from ferry.sandboxes.kit.bodies import dumps
from ferry.sandboxes.kit.webhooks import Delivery, WebhookDispatcher

if TYPE_CHECKING:
    from ferry.sandboxes.dynamics365.service import DataverseService

CONTRACTS = "http://schemas.microsoft.com/xrm/2011/Contracts"
MAX_BODY = 256 * 1024
WEBHOOK_CONTRACT = 8
AUTH_WEBHOOK_KEY, AUTH_HTTP_HEADER, AUTH_QUERY_STRING = 4, 5, 6


def _date(value: datetime | date) -> str:
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(), tzinfo=None)
    return f"/Date({int(value.timestamp() * 1000)})/"


class WebhookPublisher:
    """Turns committed changes into deliveries to the service endpoints registered for them."""

    def __init__(
        self, svc: DataverseService, dispatcher: WebhookDispatcher, retry_delays: Callable[[], tuple[float, ...]]
    ):
        self.svc = svc
        self.dispatcher = dispatcher
        self.retry_delays = retry_delays

    def publish(self, changes: list[Change], caller: Ref) -> None:
        steps = self._active_steps()
        if not steps:
            return
        correlation = str(uuid.uuid4())
        for change in changes:
            for step, message, entity, endpoint in steps:
                if message != change.message or (entity not in ("none", change.table)):
                    continue
                wanted = {a.strip() for a in (step.get("filteringattributes") or "").split(",") if a.strip()}
                if change.message == "Update" and wanted and not wanted & set(change.columns):
                    continue
                self._send(step, endpoint, change, caller, correlation)

    def _active_steps(self) -> list[tuple[Row, str, str, Row]]:
        store = self.svc.store
        found = []
        for step in store.rows["sdkmessageprocessingstep"].values():
            if step.get("statecode") != 0:
                continue
            message = _ref_row(store, step.get("sdkmessageid"))
            handler = _ref_row(store, step.get("eventhandler"))
            if (
                message is None
                or handler is None
                or handler.get("contract") != WEBHOOK_CONTRACT
                or not handler.get("url")
            ):
                continue
            flt = _ref_row(store, step.get("sdkmessagefilterid"))
            found.append((step, message["name"], (flt or {}).get("primaryobjecttypecode") or "none", handler))
        return found

    def _send(self, step: Row, endpoint: Row, change: Change, caller: Ref, correlation: str) -> None:
        table = self.svc.tables[change.table]
        context = self.context(step, table, change, caller, correlation)
        body = dumps(context)
        headers = {
            "x-ms-dynamics-organization": urlsplit(self.svc.base_url).netloc,
            "x-ms-dynamics-entity-name": change.table,
            "x-ms-dynamics-request-name": change.message,
            "x-ms-correlation-request-id": correlation,
        }
        if len(body) > MAX_BODY:
            for key in ("ParentContext", "InputParameters", "PreEntityImages", "PostEntityImages"):
                context.pop(key, None)
            body = dumps(context)
            headers["x-ms-dynamics-msg-size-exceeded"] = "true"
        url, auth_headers = _authenticate(endpoint)
        headers.update(auth_headers)
        self.dispatcher.enqueue(
            url,
            body,
            topic=f"{change.table}.{change.message}",
            headers=headers,
            should_retry=lambda status: status in (502, 503, 504),
            retry_delays=self.retry_delays()[:1],
            on_done=lambda d: self._record_failure(d, step) if d.state == "failed" else None,
        )

    def context(self, step: Row, table: Table, change: Change, caller: Ref, correlation: str) -> dict[str, Any]:
        org = self.svc.organization
        if change.message == "Delete":
            target: dict[str, Any] = self._reference(Ref(table.logical_name, change.id))
        else:
            row = change.after or {}
            names = (
                [c for c in table.columns if row.get(c) is not None]
                if change.message == "Create"
                else list(dict.fromkeys([table.primary_id, *change.columns]))
            )
            target = self._entity(table, row, names)
        now = self.svc.clock.now()
        base = {
            "BusinessUnitId": org["business_unit_id"],
            "CorrelationId": correlation,
            "Depth": 1,
            "InitiatingUserAzureActiveDirectoryObjectId": "00000000-0000-0000-0000-000000000000",
            "InitiatingUserId": caller.id,
            "InputParameters": [{"key": "Target", "value": target}],
            "IsExecutingOffline": False,
            "IsInTransaction": step.get("mode") == 0,
            "IsOfflinePlayback": False,
            "IsolationMode": 1,
            "MessageName": change.message,
            "Mode": step.get("mode", 1),
            "OperationCreatedOn": _date(now),
            "OperationId": str(uuid.uuid4()),
            "OrganizationId": org["id"],
            "OrganizationName": org["name"],
            "OutputParameters": [{"key": "id", "value": change.id}] if change.message == "Create" else [],
            "OwningExtension": {
                "Id": step["sdkmessageprocessingstepid"],
                "KeyAttributes": [],
                "LogicalName": "sdkmessageprocessingstep",
                "Name": step.get("name"),
                "RowVersion": None,
            },
            "PostEntityImages": self._images(step, table, change.after, (1, 2)),
            "PreEntityImages": self._images(step, table, change.before, (0, 2)),
            "PrimaryEntityId": change.id,
            "PrimaryEntityName": table.logical_name,
            "RequestId": None,
            "SecondaryEntityName": "none",
            "SharedVariables": [],
            "Stage": step.get("stage", 40),
            "UserAzureActiveDirectoryObjectId": "00000000-0000-0000-0000-000000000000",
            "UserId": caller.id,
        }
        parent = {k: v for k, v in base.items() if k not in ("PostEntityImages", "PreEntityImages")}
        parent.update(
            {
                "Stage": 30,
                "Mode": 0,
                "OwningExtension": None,
                "ParentContext": None,
                "PostEntityImages": [],
                "PreEntityImages": [],
            }
        )
        return {**base, "ParentContext": parent}

    def _images(self, step: Row, table: Table, row: Row | None, types: tuple[int, ...]) -> list[dict[str, Any]]:
        if row is None:
            return []
        images = []
        for image in self.svc.store.rows["sdkmessageprocessingstepimage"].values():
            owner = image.get("sdkmessageprocessingstepid")
            if not isinstance(owner, Ref) or owner.id != step["sdkmessageprocessingstepid"]:
                continue
            if image.get("imagetype") not in types:
                continue
            wanted = [a.strip() for a in (image.get("attributes") or "").split(",") if a.strip()]
            names = wanted or [c for c in table.columns if row.get(c) is not None]
            images.append({"key": image.get("entityalias") or "Image", "value": self._entity(table, row, names)})
        return images

    def _entity(self, table: Table, row: Row, names: list[str]) -> dict[str, Any]:
        attributes, formatted = [], []
        for name in names:
            column = table.columns.get(name)
            if column is None:
                continue
            value = row.get(name)
            attributes.append({"key": name, "value": self._value(column.kind, value, column.name == table.primary_id)})
            if column.kind in CHOICE_KINDS and value is not None:
                label = next((o.label for o in column.options if o.value == value), None)
                if label is not None:
                    formatted.append({"key": name, "value": label})
        return {
            "__type": f"Entity:{CONTRACTS}",
            "Attributes": attributes,
            "EntityState": None,
            "FormattedValues": formatted,
            "Id": row.get(table.primary_id),
            "KeyAttributes": [],
            "LogicalName": table.logical_name,
            "RelatedEntities": [],
            "RowVersion": str(row.get("versionnumber")) if row.get("versionnumber") else None,
        }

    def _reference(self, ref: Ref) -> dict[str, Any]:
        target = self.svc.store.get(ref.table, ref.id)
        name = target.get(self.svc.tables[ref.table].primary_name) if target else None
        return {
            "__type": f"EntityReference:{CONTRACTS}",
            "Id": ref.id,
            "KeyAttributes": [],
            "LogicalName": ref.table,
            "Name": name,
            "RowVersion": None,
        }

    def _value(self, kind: Kind, value: Any, primary: bool) -> Any:
        if value is None:
            return None
        if isinstance(value, Ref):
            return self._reference(value)
        if kind in CHOICE_KINDS:
            return {"__type": f"OptionSetValue:{CONTRACTS}", "Value": value}
        if kind is Kind.MONEY:
            return {"__type": f"Money:{CONTRACTS}", "Value": value}
        if isinstance(value, datetime | date):
            return _date(value)
        if isinstance(value, Decimal):
            return value
        return value

    def _record_failure(self, delivery: Delivery, step: Row) -> None:
        """A failed delivery becomes a failed System Job, where Dataverse admins look for it."""
        now = self.svc.clock.now()
        job_id = str(uuid.uuid4())
        system = Ref("systemuser", self.svc.organization["system_user"])
        row: Row = {c: None for c in self.svc.tables["asyncoperation"].columns}
        row.update(
            {
                "asyncoperationid": job_id,
                "name": step.get("name"),
                "operationtype": 1,
                "statecode": 3,
                "statuscode": 31,
                "message": f"Webhook delivery to {delivery.url} failed: {delivery.last_error or delivery.last_status}",
                "friendlymessage": "An error occurred while sending the webhook request.",
                "errorcode": -2147204719,
                "completedon": now,
                "createdon": now,
                "modifiedon": now,
                "createdby": system,
                "modifiedby": system,
                "owningextensionid": Ref("sdkmessageprocessingstep", step["sdkmessageprocessingstepid"]),
                "versionnumber": self.svc.store.next_version(),
            }
        )
        self.svc.store.put("asyncoperation", row)


def _ref_row(store: Any, ref: Any) -> Row | None:
    return store.get(ref.table, ref.id) if isinstance(ref, Ref) else None


def _authenticate(endpoint: Row) -> tuple[str, dict[str, str]]:
    """Apply the endpoint's auth type: `?code=` key, extra headers, or extra query parameters."""
    url = endpoint["url"]
    kind, value = endpoint.get("authtype"), endpoint.get("authvalue") or ""
    if kind == AUTH_WEBHOOK_KEY and value:
        return _add_query(url, {"code": value}), {}
    if kind in (AUTH_HTTP_HEADER, AUTH_QUERY_STRING) and value:
        settings = _settings(value)
        if kind == AUTH_HTTP_HEADER:
            return url, settings
        return _add_query(url, settings), {}
    return url, {}


def _settings(value: str) -> dict[str, str]:
    """`<settings><setting name="k" value="v" /></settings>`, as the Plug-in Registration Tool stores them."""
    try:
        root = ET.fromstring(value)
    except ET.ParseError:
        return {}
    return {s.get("name", ""): s.get("value", "") for s in root.iter("setting") if s.get("name")}


def _add_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = "&".join(p for p in (parts.query, urlencode(params)) if p)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


__all__ = ["WebhookPublisher"]
