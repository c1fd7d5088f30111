"""References between records, and document lines: resolving items, numbering, pricing, totals."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from ferry.sandboxes.tims.fields import cents
from ferry.sandboxes.tims.problems import FieldProblem, Problem, rule_problem, validation_problem
from ferry.sandboxes.tims.schema import COLLECTIONS, INACTIVE
from ferry.sandboxes.tims.store import Key, Record, Tx

ZERO = Decimal("0.00")


def is_active(record: Record | None) -> bool:
    return record is not None and record["Status"] != INACTIVE


def require(tx: Tx, collection: str, key: object, field: str, *, active: bool = True) -> Record:
    """The record `key` refers to (an active one, unless `active` is False), or 422 naming `field`."""
    id_field = COLLECTIONS[collection].id_field
    record = tx.get(collection, key) if isinstance(key, int) else None
    if record is None:
        raise rule_problem("unknown-reference", f"There is no {_noun(collection)} with {id_field} {key}.", field)
    if active and record["Status"] == INACTIVE:
        raise rule_problem("inactive-reference", f"{_noun(collection).capitalize()} {key} is inactive.", field)
    return record


def newly_referenced(before: Record | None, after: Record, field: str) -> bool:
    """Whether the write makes `field`'s reference: a new or revived record, or a changed value.

    Only such references must point at active records; an order keeps its customer when the
    customer is deleted, and can still be edited or cancelled.
    """
    if before is None or not is_active(before):
        return True
    return bool(after[field] != before[field])


def find_item_by_sku(tx: Tx, sku: str) -> tuple[Key, Record] | None:
    key = tx.store.tables["items"].unique["SKU"].get(sku)
    if key is not None:
        record = tx.get("items", key)
        if record is not None and record["SKU"] == sku:
            return key, record
    for other, record in tx.staged_in("items"):
        if record["SKU"] == sku:
            return other, record
    return None


def resolve_lines(tx: Tx, lines: Sequence[Record], *, for_sale: bool, taxed: bool = False) -> list[Record]:
    """Order or invoice lines with ItemID and SKU both filled, numbered, priced and totalled
    (`taxed`: invoice lines, which carry their `Tax`).

    Refuses (422) lines whose item does not exist, is inactive (or, `for_sale`, not sellable), or
    whose discount is larger than the line amount; every bad line is reported at once.
    """
    _check_line_numbers(lines)
    taken = {line["LineNo"] for line in lines if line.get("LineNo") is not None}
    next_no = 1
    problems: list[FieldProblem] = []
    slugs: set[str] = set()
    resolved: list[Record] = []
    for n, line in enumerate(lines):
        path = f"Lines[{n}]"
        found = _line_item(tx, line, path, for_sale=for_sale)
        if isinstance(found, _Refusal):
            problems.append(found.problem)
            slugs.add(found.slug)
            continue
        item_key, item = found
        line_no = line.get("LineNo")
        if line_no is None:
            while next_no in taken:
                next_no += 1
            line_no = next_no
            taken.add(line_no)
        price: Decimal = item["UnitPrice"] if line.get("UnitPrice") is None else line["UnitPrice"]
        discount: Decimal = line.get("Discount") or ZERO
        total = cents(line["Quantity"] * price - discount)
        if total < 0:
            problems.append(FieldProblem(f"{path}.Discount", f"{discount} is more than the line amount"))
            slugs.add("invalid-line")
            continue
        resolved.append(
            {
                "LineNo": line_no,
                "ItemID": item_key,
                "SKU": item["SKU"],
                "Quantity": line["Quantity"],
                "UnitPrice": price,
                "Discount": discount,
                "LineTotal": total,
                **({"Tax": line.get("Tax") or ZERO} if taxed else {}),
            }
        )
    if problems:
        raise Problem(
            422,
            "Some lines cannot be accepted: " + "; ".join(f"{p.field}: {p.message}" for p in problems) + ".",
            slug=slugs.pop() if len(slugs) == 1 else "invalid-line",
            errors=problems,
        )
    return sorted(resolved, key=lambda line: int(line["LineNo"]))


def lines_total(lines: Sequence[Record]) -> Decimal:
    return sum((line["LineTotal"] for line in lines), ZERO)


def lines_tax(lines: Sequence[Record]) -> Decimal:
    return sum((line.get("Tax") or ZERO for line in lines), ZERO)


def _check_line_numbers(lines: Sequence[Record]) -> None:
    seen: set[object] = set()
    problems: list[FieldProblem] = []
    for n, line in enumerate(lines):
        if line.get("LineNo") is None:
            continue
        if line["LineNo"] in seen:
            problems.append(FieldProblem(f"Lines[{n}].LineNo", f"{line['LineNo']} is used by another line"))
        seen.add(line["LineNo"])
    if problems:
        raise validation_problem(problems)


class _Refusal(NamedTuple):
    problem: FieldProblem
    slug: str


def _line_item(tx: Tx, line: Record, path: str, *, for_sale: bool) -> tuple[Key, Record] | _Refusal:
    item_id, sku = line.get("ItemID"), line.get("SKU")
    if item_id is None and sku is None:
        raise validation_problem([FieldProblem(path, "give ItemID or SKU")])
    found: tuple[Key, Record] | None
    if item_id is not None:
        record = tx.get("items", item_id)
        if record is None:
            return _Refusal(
                FieldProblem(f"{path}.ItemID", f"there is no item with ItemID {item_id}"), "unknown-reference"
            )
        if sku is not None and record["SKU"] != sku:
            return _Refusal(FieldProblem(f"{path}.SKU", f"{sku!r} is not the SKU of item {item_id}"), "invalid-line")
        found = (item_id, record)
    else:
        found = find_item_by_sku(tx, str(sku))
        if found is None:
            return _Refusal(FieldProblem(f"{path}.SKU", f"there is no item with SKU {sku!r}"), "unknown-reference")
    record = found[1]
    if record["Status"] == INACTIVE or (for_sale and not record["Active"]):
        return _Refusal(FieldProblem(f"{path}.SKU", f"item {record['SKU']!r} is not active"), "inactive-reference")
    return found


def copy_lines(lines: Sequence[Record]) -> list[dict[str, Any]]:
    return [dict(line) for line in lines]


def _noun(collection: str) -> str:
    return {
        "customers": "customer",
        "items": "item",
        "vendors": "vendor",
        "sales-orders": "sales order",
        "purchase-orders": "purchase order",
        "invoices": "invoice",
        "payments": "payment",
        "gl-entries": "GL entry",
        "inventory-adjustments": "inventory adjustment",
        "shipments": "shipment",
    }.get(collection, collection)
