"""States a plain update may not set: Dataverse closes some records only through an action.

An update that sets a sales order's `statecode` to Fulfilled (3) or Canceled (2) is refused ("This
message can not be used to set the state of SalesOrder to Canceled ... use the CancelSalesOrderRequest
Request message instead"); the order is closed with `FulfillSalesOrder` or `CancelSalesOrder`, whose
body is an order close activity bound to the order and the new status reason. So a write that carries
such a state is sent as the update of its other columns and then the action, in one change set.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Closing:
    """An action that moves a record of one entity set to one closed state."""

    action: str
    #: The action's parameter holding the close activity, and that activity's bind to the record.
    activity: str
    bind: str
    state: int
    #: The status reason sent when the write names none (the state's default).
    default_status: int
    subject: str

    def body(self, record_path: str, status: Any) -> dict[str, Any]:
        """The action's body for the record at `record_path` (`salesorders(<id>)`)."""
        if isinstance(status, bool) or not isinstance(status, int):
            status = self.default_status
        return {self.activity: {self.bind: f"/{record_path}", "subject": self.subject}, "Status": status}


_ORDER = {"activity": "OrderClose", "bind": "salesorderid@odata.bind"}
CLOSINGS: Mapping[str, Mapping[int, Closing]] = {
    "salesorders": {
        3: Closing("FulfillSalesOrder", state=3, default_status=100001, subject="Order fulfilled", **_ORDER),
        2: Closing("CancelSalesOrder", state=2, default_status=4, subject="Order canceled", **_ORDER),
    },
}
#: The columns a closing carries: they go to the action, not the update.
STATE_COLUMNS = ("statecode", "statuscode")


def closing_for(set_name: str, data: Mapping[str, Any]) -> Closing | None:
    """The action a write of `data` to `set_name` needs, if it closes the record."""
    state = data.get("statecode")
    if isinstance(state, bool) or not isinstance(state, int):
        return None
    return CLOSINGS.get(set_name, {}).get(state)


__all__ = ["CLOSINGS", "STATE_COLUMNS", "Closing", "closing_for"]
