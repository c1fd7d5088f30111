"""Missing values: coalesce, default and nullif."""

from __future__ import annotations

from typing import Any

from ferry.mapping.registry import CallSite, Evaluator, Example, function, special_form


@special_form(
    "coalesce",
    category="null handling",
    signature="coalesce(value, value...)",
    min_args=2,
    max_args=None,
    example=Example(
        "coalesce(primarycontactid.telephone1, telephone1)",
        "+1 441 680 2099",
        {"primarycontactid": {"telephone1": None}, "telephone1": "+1 441 680 2099"},
    ),
)
def coalesce(site: CallSite) -> Evaluator:
    """The first value that is not null (null if all are). Later values are only evaluated when needed,
    so an expensive fallback such as `parse_address(...)` costs nothing when the first value is there."""
    args = tuple(site.args)

    def evaluate(record: dict[str, Any], context: dict[str, Any]) -> Any:
        for arg in args:
            value = arg(record, context)
            if value is not None:
                return value
        return None

    return evaluate


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


@special_form(
    "default",
    category="null handling",
    signature="default(value, fallback)",
    min_args=2,
    max_args=2,
    example=Example(
        "default(primarycontactid.emailaddress1, emailaddress1)",
        "orders@coopersteel.co.uk",
        {"primarycontactid": {"emailaddress1": "  "}, "emailaddress1": "orders@coopersteel.co.uk"},
    ),
)
def default(site: CallSite) -> Evaluator:
    """`value`, unless it is null or blank text (only spaces); then `fallback`, evaluated only then."""
    value, fallback = site.args

    def evaluate(record: dict[str, Any], context: dict[str, Any]) -> Any:
        result = value(record, context)
        return fallback(record, context) if _blank(result) else result

    return evaluate


@function(
    "nullif", category="null handling", example=Example("nullif(address1_country, '')", None, {"address1_country": ""})
)
def nullif(value: Any, other: Any) -> Any:
    """Null when `value` equals `other`, else `value`: turns a placeholder (`''`, `'n/a'`, `0`) into null."""
    return None if value == other else value
