"""`FulfillSalesOrder`: the action that fulfils a sales order, as Dataverse's Web API serves it.

`POST FulfillSalesOrder` with `{"OrderClose": {"salesorderid@odata.bind": "/salesorders(<id>)",
"subject": ..., "actualend": ..., "description": ...}, "Status": 100001}` records an order close
activity on the order and moves the order to Fulfilled with that status reason (100001 Complete or
100002 Partial; -1 lets the server choose, Complete). It answers 204 No Content. An order that is
already fulfilled, cancelled or invoiced cannot be fulfilled (again).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ferry.sandboxes.dynamics365.errors import INVALID_ARGUMENT, bad_request, not_found
from ferry.sandboxes.dynamics365.paths import parse_resource, resolve_key

if TYPE_CHECKING:
    from ferry.sandboxes.dynamics365.service import ApiRequest, DataverseService

ACTION = "FulfillSalesOrder"
FULFILLED = 3
#: The states from which an order can be fulfilled: Active and Submitted.
OPEN_STATES = (0, 1)


def fulfill_sales_order(svc: DataverseService, req: ApiRequest) -> None:
    """Close the order as fulfilled, all in the request's transaction (nothing changes on a refusal)."""
    body = req.body or {}
    close, status = body.get("OrderClose"), body.get("Status")
    if not isinstance(close, dict):
        raise bad_request(f'{ACTION} needs "OrderClose": an orderclose record naming the order it fulfils.')
    if isinstance(status, bool) or not isinstance(status, int):
        raise bad_request(f'{ACTION} needs "Status": the status reason of the fulfilled order (100001 Complete).')
    orders, closes = svc.tables["salesorder"], svc.tables["orderclose"]
    order_id = _order_id(svc, close.get("salesorderid@odata.bind"))
    order = svc.store.get("salesorder", order_id)
    if order is None:
        raise not_found(orders, order_id)
    if order.get("statecode") not in OPEN_STATES:
        label = next((o.label for o in orders.columns["statecode"].options if o.value == order.get("statecode")), "")
        raise bad_request(
            f"The salesorder with Id {order_id} is {label}; only an active or submitted order can be fulfilled.",
            INVALID_ARGUMENT,
        )
    activity: dict[str, Any] = {k: v for k, v in close.items() if k != "@odata.type"}
    activity.setdefault("subject", f"Order {order.get('ordernumber') or order_id} fulfilled")
    activity["statecode"], activity["statuscode"] = 1, 2  # the activity is completed as it is recorded
    svc.writer.create(closes, activity, req.caller)
    state: dict[str, Any] = {"statecode": FULFILLED}
    if status != -1:  # -1: the state's default status reason
        state["statuscode"] = status
    svc.writer.update(orders, order_id, state, req.caller)


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


__all__ = ["ACTION", "fulfill_sales_order"]
