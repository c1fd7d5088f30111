"""Line operations: group_lines, split_lines and filter_items. Each gives a list of (copies of) the items
of its first argument, so it can be the `from:` of a target list and its fields read the items as usual:

    lists:
      Lines:
        from: group_lines(order_lines, 'sku', 'quantity', 'amount')
        fields: {SKU: sku, Quantity: quantity, Amount: amount}
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from ferry.mapping.library.amounts import exact, items_of, per_item, split_exactly
from ferry.mapping.nodes import Literal, Node
from ferry.mapping.paths import PathError, split_path
from ferry.mapping.registry import CallSite, Evaluator, Example, special_form
from ferry.mapping.values import ApplyError, kind, truthy

_ORDER = {
    "order_lines": [
        {"sku": "A-100", "quantity": 2, "amount": Decimal("25.00")},
        {"sku": "B-200", "quantity": 1, "amount": Decimal("80.00")},
        {"sku": "A-100", "quantity": 3, "amount": Decimal("37.50")},
    ]
}


def _paths(site: CallSite, nodes: Sequence[Node], what: str) -> list[tuple[str, ...]] | None:
    """The quoted paths that `nodes` (arguments of the call) are; a problem (and None) for any other."""
    out: list[tuple[str, ...]] = []
    for node in nodes:
        keys = _quoted_path(node)
        if keys is None:
            site.report(
                f"{site.name}(): {what} is a field of the items in quotes", node, f"write {site.name}(..., 'amount')"
            )
            return None
        out.append(keys)
    return out


def _quoted_path(node: Node) -> tuple[str, ...] | None:
    if not isinstance(node, Literal) or not isinstance(node.value, str):
        return None
    try:
        return split_path(node.value)
    except PathError:
        return None  # reported when the argument was compiled


def _with(item: dict[str, Any], keys: tuple[str, ...], value: Any) -> dict[str, Any]:
    """A copy of `item` with `value` at `keys` (nested objects on the way copied, not shared)."""
    out = dict(item)
    node = out
    for key in keys[:-1]:
        child = node.get(key)
        child = dict(child) if isinstance(child, dict) else {}
        node[key] = child
        node = child
    node[keys[-1]] = value
    return out


def _group_key(value: Any, position: int) -> Any:
    if isinstance(value, list | dict):
        raise ApplyError(f"group_lines(): item {position}: the key is {kind(value)}, not a single value")
    return ("boolean", value) if isinstance(value, bool) else value


@special_form(
    "group_lines",
    category="lines",
    signature="group_lines(list, key, summed...)",
    min_args=3,
    max_args=None,
    item_args=(1, 2),
    returns_items=True,
    example=Example(
        "group_lines(order_lines, 'sku', 'quantity', 'amount')",
        [
            {"sku": "A-100", "quantity": 5, "amount": Decimal("62.50")},
            {"sku": "B-200", "quantity": 1, "amount": Decimal("80.00")},
        ],
        _ORDER,
    ),
)
def group_lines(site: CallSite) -> Evaluator:
    """The items of `list` merged by `key`: one item per key, in the order keys first appear, with the
    fields named by `summed` (quoted paths: `'quantity'`, `'amount'`) added up over the items merged
    into it, and every other field taken from the first of them. `key` is a quoted path (`'sku'`) or an
    expression read on each item; for several fields, join them: `concat(sku, '|', unit)`. Add the unit
    price to the key when lines with different prices must stay apart. Nulls are left out of a sum.
    Amounts must be exact numbers. A null list gives null."""
    summed = _paths(site, site.nodes[2:], "each summed value")
    if summed is None:
        return _null
    items_arg, key_of, readers = site.args[0], site.args[1], site.args[2:]

    def evaluate(record: dict[str, Any], context: dict[str, Any]) -> Any:
        items = items_of(items_arg(record, context), "group_lines")
        if items is None:
            return None
        groups: dict[Any, list[Any]] = {}
        firsts: dict[Any, dict[str, Any]] = {}
        for position, item, key in per_item("group_lines", items, key_of, record, context):
            group = _group_key(key, position)
            inner = {**context, "parent": record, "position": position}
            values = [read(item, inner) for read in readers]
            for path, value in zip(summed, values, strict=True):
                if value is not None:
                    try:
                        exact(value, "group_lines")
                    except ApplyError as exc:
                        raise ApplyError(f"item {position}: {'.'.join(path)}: {exc.reason}") from None
            totals = groups.get(group)
            if totals is None:
                groups[group], firsts[group] = values, item
                continue
            groups[group] = [a if b is None else b if a is None else a + b for a, b in zip(totals, values, strict=True)]
        out = []
        for group, totals in groups.items():
            merged = firsts[group]
            for path, total in zip(summed, totals, strict=True):
                merged = _with(merged, path, total)
            out.append(merged)
        return out

    return evaluate


@special_form(
    "split_lines",
    category="lines",
    signature="split_lines(list, quantity, max[, amount...])",
    min_args=3,
    max_args=None,
    item_args=(1, 3),
    returns_items=True,
    example=Example(
        "split_lines(order_lines, 'quantity', 100, 'amount')",
        [
            {"sku": "A-100", "quantity": 100, "amount": Decimal("40.00")},
            {"sku": "A-100", "quantity": 100, "amount": Decimal("40.00")},
            {"sku": "A-100", "quantity": 50, "amount": Decimal("20.00")},
        ],
        {"order_lines": [{"sku": "A-100", "quantity": 250, "amount": Decimal("100.00")}]},
    ),
)
def split_lines(site: CallSite) -> Evaluator:
    """The items of `list`, each whose `quantity` (a quoted path) is more than `max` split into items of
    `max` and one of the rest (250 by 100: 100, 100, 50), for a target that limits a line's quantity.
    The fields named by `amount` (quoted paths: line totals) are split in proportion, to the cent, so
    the parts add up to the original exactly (see `allocate`); other fields are copied. `max` must be
    more than 0. Quantities may have decimals; a null quantity leaves the item alone. A null list gives
    null."""
    paths = _paths(site, site.nodes[1:2], "the quantity")
    amounts = _paths(site, site.nodes[3:], "each amount")
    if paths is None or amounts is None:
        return _null
    max_node = site.nodes[2]
    if isinstance(max_node, Literal) and (not isinstance(max_node.value, int | Decimal) or max_node.value <= 0):
        site.report("split_lines(): max must be a number more than 0", max_node, "split_lines(lines, 'quantity', 100)")
        return _null
    quantity_path = paths[0]
    items_arg, quantity_of, maximum, readers = site.args[0], site.args[1], site.args[2], site.args[3:]

    def evaluate(record: dict[str, Any], context: dict[str, Any]) -> Any:
        items = items_of(items_arg(record, context), "split_lines")
        limit = maximum(record, context)
        if items is None or limit is None:
            return None
        top = exact(limit, "split_lines")
        if top <= 0:
            raise ApplyError(f"split_lines() max must be more than 0, got {top}")
        out: list[Any] = []
        for position, item, quantity in per_item("split_lines", items, quantity_of, record, context):
            if quantity is None:
                out.append(item)
                continue
            try:
                count = exact(quantity, "split_lines")
            except ApplyError as exc:
                raise ApplyError(f"item {position}: {exc.reason}") from None
            if count <= top:
                out.append(item)
                continue
            full, rest = divmod(count, top)
            parts = [top] * int(full) + ([rest] if rest else [])
            inner = {**context, "parent": record, "position": position}
            pieces = [_with(item, quantity_path, part) for part in parts]
            for path, read in zip(amounts, readers, strict=True):
                amount = read(item, inner)
                if amount is None:
                    continue
                try:
                    number = exact(amount, "split_lines")
                except ApplyError as exc:
                    raise ApplyError(f"item {position}: {exc.reason}") from None
                places = max(0, -int(number.as_tuple().exponent)) if isinstance(number, Decimal) else 0
                shares = split_exactly(number, list(parts), places, "split_lines")
                typed: list[Any] = shares if isinstance(number, Decimal) else [int(s) for s in shares]
                pieces = [_with(piece, path, share) for piece, share in zip(pieces, typed, strict=True)]
            out.extend(pieces)
        return out

    return evaluate


@special_form(
    "filter_items",
    category="lines",
    signature="filter_items(list, condition)",
    min_args=2,
    max_args=2,
    item_args=(1,),
    returns_items=True,
    example=Example(
        "filter_items(order_lines, amount >= 30)",
        [{"sku": "B-200", "quantity": 1, "amount": Decimal("80.00")}, _ORDER["order_lines"][2]],
        _ORDER,
    ),
)
def filter_items(site: CallSite) -> Evaluator:
    """The items of `list` for which `condition`, read on each item, is true (see *Truth*), in their
    order: `filter_items(order_lines, quantity > 0 and sku != null)`. `context.position` in the
    condition is the item's place in `list`; in a target list built from the result, `context.position`
    counts the items kept. A null list gives null."""
    items_arg, condition = site.args

    def evaluate(record: dict[str, Any], context: dict[str, Any]) -> Any:
        items = items_of(items_arg(record, context), "filter_items")
        if items is None:
            return None
        return [item for _, item, keep in per_item("filter_items", items, condition, record, context) if truthy(keep)]

    return evaluate


def _null(record: dict[str, Any], context: dict[str, Any]) -> None:
    return None
