"""Rank the source fields for one target field and propose the expression to write."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from ferry.mapping.suggest.fields import Field, Suggestion
from ferry.mapping.suggest.signals import (
    description_score,
    expected_kind,
    lookup_match,
    name_score,
    type_score,
    value_score,
)
from ferry.mapping.suggest.tokens import concepts
from ferry.mapping.suggest.values import dominant_kind

#: How much each signal counts; names carry most, values and descriptions confirm or rule out.
NAME_WEIGHT = 0.7
VALUE_WEIGHT = 0.2
DESCRIPTION_WEIGHT = 0.15
TYPE_WEIGHT = 0.05
LOOKUP_BONUS = 0.15

_TEXT_CONCEPTS = frozenset({"name", "first", "last", "company", "line", "city", "title"})


def suggest(
    target: Field,
    sources: Sequence[Field],
    *,
    lookups: Mapping[str, Collection[Any]] | None = None,
    limit: int = 5,
) -> list[Suggestion]:
    """The `limit` likeliest source fields for `target`, best first, each with a confidence in [0, 1]."""
    tables = lookups or {}
    scored: list[tuple[float, str, Suggestion]] = []
    for source in sources:
        names, why = name_score(target.name, source.name)
        values, values_why = value_score(target, source)
        said, said_why = description_score(target, source)
        table = lookup_match(source, tables) if tables else None
        score = (
            NAME_WEIGHT * names
            + VALUE_WEIGHT * values
            + DESCRIPTION_WEIGHT * said
            + TYPE_WEIGHT * type_score(target, source)
            # A lookup's keys confirm a field the name points to; on their own they say nothing of the target.
            + (LOOKUP_BONUS if table and names > 0 else 0.0)
        )
        if score <= 0.05:
            continue
        reasons = [why] + [r for r in (values_why, said_why) if r]
        expression, transform_why = transform(target, source, table)
        if transform_why:
            reasons.append(transform_why)
        confidence = round(min(1.0, max(0.0, score)), 3)
        scored.append((confidence, source.name, Suggestion(source.name, expression, confidence, "; ".join(reasons))))
    scored.sort(key=lambda item: (-item[0], item[1]))
    return [suggestion for _, _, suggestion in scored[:limit]]


def transform(target: Field, source: Field, table: str | None) -> tuple[str, str | None]:
    """The expression that turns `source` into what `target` holds, and why a function is needed."""
    name = source.name
    if table is not None:
        return f"lookup('{table}', {name})", f"its values are keys of the lookup table {table}"
    wanted = expected_kind(target)
    have = dominant_kind(source.samples)
    if wanted == "country":
        target_kind = dominant_kind(target.samples)
        wants_name = target_kind == "country_name" or (
            target_kind is None and "code" not in concepts(target.name) and _says_name(target)
        )
        if have == "country_name" and not wants_name:
            return f"country_code({name})", "country names become ISO codes"
        if have == "country_code" and wants_name:
            return f"country_name({name})", "ISO codes become country names"
    if wanted == "amount" and target.type == "string":
        return f"string(round({name}, 2))", "the amount is written as text with two places"
    if target.type in ("decimal", "money") and source.type == "string":
        return f"decimal({name})", "text becomes an exact decimal"
    if wanted == "date" and source.type == "string" and have == "date":
        return f"date({name})", "text becomes a date"
    if target.type == "integer" and source.type == "string":
        return f"integer({name})", "text becomes a whole number"
    if target.type == "string" and source.type in ("integer", "decimal", "money"):
        return f"string({name})", "the number is written as text"
    last = concepts(target.name.split(".")[-1])
    if have == "text" and _TEXT_CONCEPTS & set(last) and _padded(source.samples):
        return f"trim({name})", "samples have spaces around them"
    return name, None


def _says_name(target: Field) -> bool:
    return bool(target.description) and "name" in (target.description or "").lower()


def _padded(samples: Sequence[Any]) -> bool:
    return any(isinstance(value, str) and value != value.strip() for value in samples)
