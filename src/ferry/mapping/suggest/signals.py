"""The evidence that a source field feeds a target field, each signal a score in [0, 1] with its reason."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any

from ferry.mapping.suggest.fields import Field
from ferry.mapping.suggest.tokens import WEAK, concepts
from ferry.mapping.suggest.values import dominant_kind

#: A target concept -> the kind of value it holds.
_KIND_BY_CONCEPT = {
    "email": "email",
    "phone": "phone",
    "fax": "phone",
    "date": "date",
    "on": "date",
    "created": "date",
    "modified": "date",
    "country": "country",
    "amount": "amount",
    "price": "amount",
    "limit": "amount",
    "balance": "amount",
    "currency": "currency_code",
}

#: Which sample kinds fit which expected kinds.
_FITS = {
    "country": {"country_code", "country_name"},
    "amount": {"amount", "integer"},
    "currency_code": {"currency_code"},
}


def _weight(word: str) -> float:
    if word.isdigit():
        return 0.15
    return 0.35 if word in WEAK else 1.0


def _weighted(name: str) -> dict[str, float]:
    """Concept -> weight; the last segment of a dotted path counts fully, its parents at half."""
    segments = name.split(".")
    weights: dict[str, float] = {}
    for depth, segment in enumerate(segments):
        scale = 1.0 if depth == len(segments) - 1 else 0.5
        for concept in concepts(segment):
            weights[concept] = max(weights.get(concept, 0.0), _weight(concept) * scale)
    return weights


def name_score(target: str, source: str) -> tuple[float, str]:
    """How alike two field names are, by the concepts they share (Dice over weighted concepts)."""
    left, right = _weighted(target), _weighted(source)
    total = sum(left.values()) + sum(right.values())
    if not total:
        return 0.0, "no words in common"
    shared = [word for word in left if word in right]
    overlap = sum(min(left[word], right[word]) for word in shared) * 2
    score = overlap / total
    strong = [word for word in shared if not word.isdigit() and word not in WEAK]
    if not strong:
        return score * 0.5, "no telling words in common"
    return score, "names share " + ", ".join(strong)


def expected_kind(target: Field) -> str | None:
    """The kind of value the target holds: from its samples, else from its type, else from its name."""
    sampled = dominant_kind(target.samples)
    if sampled is not None and sampled != "text":
        return "country" if sampled.startswith("country") else sampled
    if target.type in ("date", "datetime"):
        return "date"
    if target.type in ("decimal", "money"):
        return "amount"
    last = target.name.split(".")[-1]
    for concept in reversed(concepts(last)):
        if concept in _KIND_BY_CONCEPT:
            return _KIND_BY_CONCEPT[concept]
    return None


def value_score(target: Field, source: Field) -> tuple[float, str | None]:
    """+ when the source's samples look like what the target holds, - when they plainly do not."""
    kind = dominant_kind(source.samples)
    wanted = expected_kind(target)
    if kind is None or wanted is None:
        return 0.0, None
    if kind == wanted or kind in _FITS.get(wanted, set()):
        return 1.0, f"its values look like {kind.replace('_', ' ')}s"
    if kind == "text" and wanted in ("amount", "date", "email"):
        return -1.0, None
    if kind in ("email", "phone", "date") and kind != wanted:
        return -1.0, None
    return 0.0, None


def description_score(target: Field, source: Field) -> tuple[float, str | None]:
    """How many of the target's telling concepts the source's description speaks of."""
    if not source.description:
        return 0.0, None
    wanted = {c for c in concepts(target.name.split(".")[-1]) if c not in WEAK and not c.isdigit()}
    if not wanted:
        return 0.0, None
    said = {c for word in re.findall(r"[A-Za-z]+", source.description) for c in concepts(word)}
    found = sorted(wanted & said)
    if not found:
        return 0.0, None
    return len(found) / len(wanted), "its description mentions " + ", ".join(found)


_NUMERIC = {"integer", "decimal", "money"}


def type_score(target: Field, source: Field) -> float:
    """A small nudge: same type family +, a number into a date or a date into a number -."""
    if target.type is None or source.type is None:
        return 0.0
    if target.type == source.type:
        return 1.0
    families = ({"date", "datetime"}, _NUMERIC, {"string"}, {"boolean"})
    for family in families:
        if target.type in family and source.type in family:
            return 0.5
    if "string" in (target.type, source.type) and "object" not in (target.type, source.type):
        return 0.0
    return -1.0


def lookup_match(source: Field, lookups: Mapping[str, Collection[Any]]) -> str | None:
    """The lookup table whose keys cover the source's sample values (option-set codes, terms), if any."""
    values = {_key(value) for value in source.samples if value not in (None, "")}
    if not values:
        return None
    for name, keys in sorted(lookups.items()):
        if values <= {_key(key) for key in keys}:
            return name
    return None


def _key(value: Any) -> str:
    return str(value).strip().upper()
