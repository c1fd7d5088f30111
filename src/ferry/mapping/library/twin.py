"""Cross-references between syncs: twin."""

from __future__ import annotations

from typing import Any

from ferry.mapping.nodes import Literal
from ferry.mapping.registry import CallSite, Evaluator, Example, special_form

#: Where the engine puts its resolver in the context: `(sync, id[, field]) -> twin id (or its field) or
#: None`. Not a name an expression can read (`context.<name>` names are checked), so only `twin()` reaches it.
TWINS = "__twins__"


@special_form(
    "twin",
    category="lookup",
    signature="twin('sync', id[, 'field'])",
    min_args=2,
    max_args=3,
    example=Example("twin('vendors', _msdyn_vendor_value)", None, {"_msdyn_vendor_value": None}),
)
def twin(site: CallSite) -> Evaluator:
    """The id, in the target system, of the record that sync `sync` keeps in step with record `id` of
    the source system: how an order names its customer, a line its item, a purchase order its vendor.
    When that record is not in the target yet, the engine syncs it first and the record being mapped
    waits for it (then fails with the reason, if it never arrives). With a third argument, the value
    of that field of the twin, read from the target system when the record is mapped (the balance TIMS
    keeps for an invoice, say); in `skip_when` a twin not there yet gives null there. A null `id`
    gives null. Outside the engine (a mapping tried on its own) it gives null."""
    sync_node = site.nodes[0]
    if not isinstance(sync_node, Literal) or not isinstance(sync_node.value, str):
        site.report("the first argument of twin() must be a sync name in quotes", sync_node, "twin('vendors', id)")
        return _null
    field: str | None = None
    if len(site.nodes) == 3:
        field_node = site.nodes[2]
        if not isinstance(field_node, Literal) or not isinstance(field_node.value, str) or not field_node.value:
            site.report(
                "the third argument of twin() must be a field name in quotes",
                field_node,
                "twin('invoices', invoiceid, 'Balance')",
            )
            return _null
        field = field_node.value
    sync, key = sync_node.value, site.args[1]

    def evaluate(record: dict[str, Any], context: dict[str, Any]) -> Any:
        value = key(record, context)
        resolve = context.get(TWINS)
        if value is None or resolve is None:
            return None
        return resolve(sync, str(value)) if field is None else resolve(sync, str(value), field)

    return evaluate


def _null(record: dict[str, Any], context: dict[str, Any]) -> None:
    return None
