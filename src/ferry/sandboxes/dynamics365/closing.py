"""`FulfillSalesOrder` and `CancelSalesOrder`: the actions that close a sales order, as Dataverse's Web
API serves them, and the refusal of an update that tries to close one instead.

`POST FulfillSalesOrder` (or `CancelSalesOrder`) with `{"OrderClose": {"salesorderid@odata.bind":
"/salesorders(<id>)", "subject": ..., "actualend": ..., "description": ...}, "Status": 100001}`
records an order close activity on the order and moves the order to Fulfilled (or Canceled) with that
status reason: 100001 Complete or 100002 Partial for Fulfilled, 4 No Money for Canceled; -1 lets the
server choose the state's default. It answers 204 No Content. Only an Active or Submitted order can be
closed: an order already fulfilled, cancelled or invoiced is refused.

An update that sets a sales order's `statecode` to Fulfilled or Canceled is refused with the
platform's wording, which names the request to use instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ferry.sandboxes.dynamics365.errors import INVALID_ARGUMENT, ODataError, bad_request, not_found
from ferry.sandboxes.dynamics365.paths import parse_resource, resolve_key

if TYPE_CHECKING:
    from ferry.sandboxes.dynamics365.service import ApiRequest, DataverseService


@dataclass(frozen=True, slots=True)
class Closing:
    """One way to close an order: the action, the state it leads to, and words for messages."""

    action: str
    state: int
    label: str
    verb: str
    example: str


FULFILL = Closing("FulfillSalesOrder", 3, "Fulfilled", "fulfilled", "100001 Complete")
CANCEL = Closing("CancelSalesOrder", 2, "Canceled", "cancelled", "4 No Money")
ACTIONS = {c.action: c for c in (FULFILL, CANCEL)}
#: The states from which an order can be closed: Active and Submitted.
OPEN_STATES = (0, 1)


def close_sales_order(svc: DataverseService, req: ApiRequest, closing: Closing) -> None:
    """Close the order, all in the request's transaction (nothing changes on a refusal)."""
    body = req.body or {}
    close, status = body.get("OrderClose"), body.get("Status")
    if not isinstance(close, dict):
        raise bad_request(f'{closing.action} needs "OrderClose": an orderclose record naming the order it closes.')
    if isinstance(status, bool) or not isinstance(status, int):
        raise bad_request(
            f'{closing.action} needs "Status": the status reason of the {closing.verb} order ({closing.example}).'
        )
    orders, closes = svc.tables["salesorder"], svc.tables["orderclose"]
    order_id = _order_id(svc, close.get("salesorderid@odata.bind"))
    order = svc.store.get("salesorder", order_id)
    if order is None:
        raise not_found(orders, order_id)
    if order.get("statecode") not in OPEN_STATES:
        label = next((o.label for o in orders.columns["statecode"].options if o.value == order.get("statecode")), "")
        raise bad_request(
            f"The salesorder with Id {order_id} is {label}; only an active or submitted order can be {closing.verb}.",
            INVALID_ARGUMENT,
        )
    activity: dict[str, Any] = {k: v for k, v in close.items() if k != "@odata.type"}
    activity.setdefault("subject", f"Order {order.get('ordernumber') or order_id} {closing.verb}")
    activity["statecode"], activity["statuscode"] = 1, 2  # the activity is completed as it is recorded
    svc.writer.create(closes, activity, req.caller)
    state: dict[str, Any] = {"statecode": closing.state}
    if status != -1:  # -1: the state's default status reason
        state["statuscode"] = status
    svc.writer.update(orders, order_id, state, req.caller, closing=True)


def refuse_closing_update(table_name: str, values: dict[str, Any]) -> None:
    """Refuse an update that would fulfil or cancel a sales order rather than use the action.

    The wording is the platform's, as reported from Dynamics 365 for a cancelled order.
    """
    if table_name != "salesorder":
        return
    closing = next((c for c in ACTIONS.values() if c.state == values.get("statecode")), None)
    if closing is not None:
        raise ODataError(
            400,
            INVALID_ARGUMENT,
            f"This message can not be used to set the state of SalesOrder to {closing.label}. In order to set "
            f"state of SalesOrder to {closing.label}, use the {closing.action}Request Request message instead.",
        )


def _order_id(svc: DataverseService, bind: Any) -> str:
    """The sales order an `salesorderid@odata.bind` names, by its id or an alternate key."""
    if not isinstance(bind, str):
        raise bad_request('OrderClose needs "salesorderid@odata.bind": "/salesorders(<salesorderid>)".')
    resource = parse_resource(bind.split("/api/data/v9.2/")[-1].lstrip("/"))
    if resource.set_name != "salesorders" or resource.key is None:
        raise bad_request(f"'{bind}' does not name a sales order; bind /salesorders(<salesorderid>).")
    orders = svc.tables["salesorder"]
    key = resolve_key(orders, resource.key)
    found = svc.store.find_by_key("salesorder", key)
    if found is None:
        raise not_found(orders, str(key.get("salesorderid", bind)))
    return found


__all__ = ["ACTIONS", "CANCEL", "FULFILL", "Closing", "close_sales_order", "refuse_closing_update"]
