"""Aggregates and calculated amounts: sum, count, min, max, map_items, tax and allocate. Exact decimals only.

`sum`, `count`, `min`, `max` and `map_items` take a list and, optionally, an expression evaluated once
per item: inside it a field name reads the item (`quantity * unit_price`), `context.parent` the record
and `context.position` the item's number; a quoted text is a path into the item (`'product.sku'`).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ferry.mapping import operators
from ferry.mapping.nodes import Literal
from ferry.mapping.registry import CallSite, Evaluator, Example, function, special_form
from ferry.mapping.values import ApplyError, expect_int, kind, show, truthy

_LINES = {
    "lines": [
        {"sku": "A-100", "quantity": 2, "unit_price": Decimal("12.50")},
        {"sku": "B-200", "quantity": 1, "unit_price": Decimal("80.00")},
    ]
}


def exact(value: Any, function_name: str) -> int | Decimal:
    """`value` as an exact number (an integer or a finite Decimal); a binary float or anything else fails."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, Decimal):
        if value.is_finite():
            return value
        raise ApplyError(f"{function_name}() expects a finite number, got {value}")
    if isinstance(value, float):
        raise ApplyError(
            f"{function_name}() got the binary float {value!r}, which is not an exact amount "
            "(read money as Decimal, or convert text with decimal())"
        )
    raise ApplyError(f"{function_name}() expects a number, got {kind(value)} {show(value)}")


def items_of(value: Any, function_name: str) -> list[Any] | None:
    """`value` as a list (null stays null); anything else fails."""
    if value is None or isinstance(value, list):
        return value
    raise ApplyError(f"{function_name}() expects a list, got {kind(value)} {show(value)}")


def per_item(
    function_name: str, items: list[Any], each: Evaluator, record: dict[str, Any], context: dict[str, Any]
) -> Iterator[tuple[int, Any, Any]]:
    """(position, item, value of `each` for the item) for every item, which must be an object."""
    for position, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise ApplyError(f"{function_name}(): item {position} of the list is {kind(item)}, not an object")
        try:
            yield position, item, each(item, {**context, "parent": record, "position": position})
        except ApplyError as exc:
            raise ApplyError(f"{function_name}(): item {position}: {exc.reason}") from None


def _values(site: CallSite, record: dict[str, Any], context: dict[str, Any]) -> Iterator[tuple[int, Any]] | None:
    """(position, value) of each item, or of the per-item expression when the call has one; None for a null list."""
    items = items_of(site.args[0](record, context), site.name)
    if items is None:
        return None
    if len(site.args) == 1:
        return enumerate(items, start=1)
    return ((position, value) for position, _, value in per_item(site.name, items, site.args[1], record, context))


def _exact_at(value: Any, position: int, function_name: str) -> int | Decimal:
    try:
        return exact(value, function_name)
    except ApplyError as exc:
        raise ApplyError(f"item {position}: {exc.reason}") from None


@special_form(
    "sum",
    category="aggregates",
    signature="sum(list[, item])",
    min_args=1,
    max_args=2,
    item_args=(1,),
    example=Example("sum(lines, quantity * unit_price)", Decimal("105.00"), _LINES),
)
def sum_(site: CallSite) -> Evaluator:
    """The total of a list of numbers, or of `item` for each item of a list of objects: `item` is a
    quoted path into the item (`sum(lines, 'amount')`) or an expression reading it
    (`sum(lines, quantity * unit_price)`). Nulls are left out; an empty list gives 0; a null list gives
    null. Exact: a binary float or a value that is not a number fails the record, naming the item."""

    def evaluate(record: dict[str, Any], context: dict[str, Any]) -> Any:
        values = _values(site, record, context)
        if values is None:
            return None
        total: int | Decimal = 0
        for position, value in values:
            if value is not None:
                total += _exact_at(value, position, "sum")
        return total

    return evaluate


@special_form(
    "count",
    category="aggregates",
    signature="count(list[, condition])",
    min_args=1,
    max_args=2,
    item_args=(1,),
    example=Example("count(lines, quantity > 1)", 1, _LINES),
)
def count(site: CallSite) -> Evaluator:
    """The number of items of a list, or of those for which `condition` (read on each item) is true.
    A null list gives null."""

    def evaluate(record: dict[str, Any], context: dict[str, Any]) -> Any:
        values = _values(site, record, context)
        if values is None:
            return None
        if len(site.args) == 1:
            return sum(1 for _ in values)
        return sum(1 for _, value in values if truthy(value))

    return evaluate


def _extreme(site: CallSite, pick: Any) -> Evaluator:
    def evaluate(record: dict[str, Any], context: dict[str, Any]) -> Any:
        values = _values(site, record, context)
        if values is None:
            return None
        best: Any = None
        for position, value in values:
            if value is None:
                continue
            if isinstance(value, float | bool | list | dict):
                _exact_at(value, position, site.name)
            if best is None or pick(value, best):
                best = value
        return best

    return evaluate


@special_form(
    "min",
    category="aggregates",
    signature="min(list[, item])",
    min_args=1,
    max_args=2,
    item_args=(1,),
    example=Example("min(lines, 'unit_price')", Decimal("12.50"), _LINES),
)
def min_(site: CallSite) -> Evaluator:
    """The smallest of a list of numbers, dates or texts, or of `item` for each item (see `sum`).
    Nulls are left out; an empty or null list gives null; values that cannot be compared fail."""
    return _extreme(site, operators.less)


@special_form(
    "max",
    category="aggregates",
    signature="max(list[, item])",
    min_args=1,
    max_args=2,
    item_args=(1,),
    example=Example("max(lines, quantity * unit_price)", Decimal("80.00"), _LINES),
)
def max_(site: CallSite) -> Evaluator:
    """The largest of a list of numbers, dates or texts, or of `item` for each item (see `sum`).
    Nulls are left out; an empty or null list gives null; values that cannot be compared fail."""
    return _extreme(site, operators.greater)


@special_form(
    "map_items",
    category="aggregates",
    signature="map_items(list, item)",
    min_args=2,
    max_args=2,
    item_args=(1,),
    example=Example("map_items(lines, quantity * unit_price)", [Decimal("25.00"), Decimal("80.00")], _LINES),
)
def map_items(site: CallSite) -> Evaluator:
    """The list of `item` for each item of `list` (a quoted path, or an expression reading the item),
    e.g. the weights for `allocate()`. A null list gives null."""

    def evaluate(record: dict[str, Any], context: dict[str, Any]) -> Any:
        values = _values(site, record, context)
        return None if values is None else [value for _, value in values]

    return evaluate


def _places(value: Any, function_name: str) -> int:
    places = expect_int(value, function_name)
    if not 0 <= places <= 6:
        raise ApplyError(f"{function_name}() places must be between 0 and 6, got {places}")
    return places


@special_form(
    "tax",
    category="numbers",
    signature="tax(amount, rate[, places])",
    min_args=2,
    max_args=3,
    example=Example("tax(NetAmount, 0.20)", Decimal("24.69"), {"NetAmount": Decimal("123.45")}),
)
def tax(site: CallSite) -> Evaluator:
    """The tax on `amount` at `rate`, a fraction (0.20 for 20%: a rate above 1 written in the mapping is
    reported when it loads), rounded half up to `places` (2 unless given; use `money(amount * rate,
    currency)` for a currency without cents). Null gives null; a float or a text fails."""
    amount, rate = site.args[0], site.args[1]
    places = site.args[2] if len(site.args) > 2 else None
    rate_node = site.nodes[1]
    if isinstance(rate_node, Literal) and isinstance(rate_node.value, int | Decimal) and rate_node.value > 1:
        site.report(
            f"tax() rate {rate_node.value} is more than 100%; the rate is a fraction",
            rate_node,
            f"write {Decimal(rate_node.value) / 100} for {rate_node.value}%",
        )

    def evaluate(record: dict[str, Any], context: dict[str, Any]) -> Any:
        value, fraction = amount(record, context), rate(record, context)
        digits = 2 if places is None else _places(places(record, context), "tax")
        if value is None or fraction is None:
            return None
        product = Decimal(exact(value, "tax")) * exact(fraction, "tax")
        return product.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)

    return evaluate


def split_exactly(total: Decimal | int, weights: list[Decimal | int], places: int, function_name: str) -> list[Decimal]:
    """`total` split in proportion to `weights` into parts of `places` places that add up to `total`
    exactly: each part rounded down, then the units left over given one each to the parts with the
    largest remainders (the earlier part on a tie). In integers throughout: no rounding on the way."""
    step = Decimal(1).scaleb(-places)
    scaled = Decimal(total).scaleb(places)
    if scaled != scaled.to_integral_value():
        raise ApplyError(f"{function_name}() cannot split {total} into parts of {places} places; round it first")
    if not weights:
        raise ApplyError(f"{function_name}() needs at least one weight")
    if any(w < 0 for w in weights):
        raise ApplyError(f"{function_name}() weights must not be negative")
    # Weights as integers in a common unit, so shares and remainders are exact integer divisions.
    shift = max(max(0, -int(Decimal(w).as_tuple().exponent)) for w in weights)
    whole_weights = [int(Decimal(w).scaleb(shift)) for w in weights]
    whole = sum(whole_weights)
    if whole == 0:
        raise ApplyError(f"{function_name}() weights add up to 0, so there is nothing to split in proportion to")
    units = int(scaled)
    sign, units = (-1 if units < 0 else 1), abs(units)
    floors, remainders = zip(*(divmod(units * w, whole) for w in whole_weights), strict=True)
    parts = list(floors)
    left = units - sum(parts)
    by_remainder = sorted(range(len(parts)), key=lambda i: (-remainders[i], i))
    for i in by_remainder[:left]:
        parts[i] += 1
    return [(Decimal(sign * part) * step).quantize(step) for part in parts]


@function(
    "allocate",
    category="numbers",
    example=Example(
        "allocate(Freight, map_items(lines, 'quantity'))",
        [Decimal("6.67"), Decimal("3.33")],
        {"Freight": Decimal("10.00"), **_LINES},
    ),
)
def allocate(total: Any, weights: Any, places: Any = 2) -> list[Decimal] | None:
    """`total` split over a list of `weights` (amounts, quantities: any numbers not below 0) into parts
    of `places` places (2 unless given) that add up to `total` exactly, to the cent: each part is its
    share rounded down, and the cents left over go one each to the largest remainders (the earlier item
    on a tie), so 100.00 over three equal lines is 33.34, 33.33, 33.33. A negative total (a credit)
    splits the same way. Take a line's part with `[context.position - 1]`. Null gives null; a total
    with more places than `places`, a float, or weights adding up to 0 fail."""
    if total is None or weights is None:
        return None
    digits = _places(places, "allocate")
    listed = items_of(weights, "allocate") or []
    numbers = [_exact_at(w, i, "allocate") for i, w in enumerate(listed, start=1)]
    return split_exactly(exact(total, "allocate"), numbers, digits, "allocate")
