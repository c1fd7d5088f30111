"""The evaluation set of the mapping suggester (`ferry.mapping.suggest`), built from real field lists.

Labelled pairs come from the template mappings: each target field whose expression reads exactly one
source field is a pair target -> that source field. The candidates are the source system's real field
list: the Dynamics 365 sandbox's table columns (with their labels as descriptions and their types) or a
record the TIMS sandbox seeds (with its values as samples), plus every field the mappings read from that
source. A held-out part (`suggest_holdout.yaml`: SAP S/4HANA, Kashflow, Dynamics AX field lists from the
specs, mapped by hand) is never used for tuning and is reported on its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from ferry.mapping import nodes
from ferry.mapping.parser import parse
from ferry.mapping.suggest import Field, suggest

TEMPLATES = Path(__file__).resolve().parents[1] / "project" / "templates" / "dynamics365-tims" / "mappings"
HOLDOUT = Path(__file__).resolve().with_name("suggest_holdout.yaml")

#: Dynamics 365 sandbox column kinds -> the suggester's types.
_D365_TYPES = {
    "String": "string",
    "Memo": "string",
    "Uniqueidentifier": "string",
    "Integer": "integer",
    "BigInt": "integer",
    "Decimal": "decimal",
    "Money": "money",
    "Double": "decimal",
    "Boolean": "boolean",
    "DateTime": "datetime",
    "DateOnly": "date",
    "Picklist": "integer",
    "State": "integer",
    "Status": "integer",
    "Lookup": "object",
}
#: The entity a template's `source:` names -> the sandbox table (Dynamics) or seeded record (TIMS).
_D365_TABLES = {
    "accounts": "account",
    "invoices": "invoice",
    "msdyn_paymentdetails": "msdyn_paymentdetail",
    "msdyn_productinventories": "msdyn_productinventory",
    "msdyn_purchaseorders": "msdyn_purchaseorder",
    "products": "product",
    "salesorders": "salesorder",
}


@dataclass(frozen=True, slots=True)
class Case:
    """One labelled pair: for `target` in `mapping`, `expected` is the right source among `candidates`."""

    mapping: str
    target: Field
    expected: str
    candidates: tuple[Field, ...]
    lookups: dict[str, tuple[Any, ...]]
    why: str = ""


@dataclass(frozen=True, slots=True)
class Result:
    case: Case
    ranked: tuple[str, ...]

    @property
    def hit1(self) -> bool:
        return self.ranked[:1] == (self.case.expected,)

    @property
    def hit3(self) -> bool:
        return self.case.expected in self.ranked[:3]


def template_cases() -> list[Case]:
    """The labelled pairs of every template mapping, with their source system's real field list."""
    documents = [(path.stem, _load(path)) for path in sorted(TEMPLATES.glob("*.yaml"))]
    read_by_source: dict[str, set[str]] = {}
    pairs: list[tuple[str, str, str, str, dict[str, tuple[Any, ...]]]] = []
    for name, doc in documents:
        source = _entity(str(doc.get("source", "")))
        lookups = {key: tuple((table or {}).get("values", {})) for key, table in (doc.get("lookups") or {}).items()}
        for target, spec in (doc.get("fields") or {}).items():
            expression = spec.get("value") if isinstance(spec, dict) else spec
            if not isinstance(expression, str):
                continue
            paths = sorted(set(_paths(expression)))
            read_by_source.setdefault(source, set()).update(paths)
            if len(paths) == 1:
                pairs.append((name, source, str(target), paths[0], lookups))
    schemas = {source: _schema(source, read) for source, read in read_by_source.items()}
    return [
        Case(mapping, Field(target), expected, schemas[source], lookups)
        for mapping, source, target, expected, lookups in pairs
    ]


def holdout_cases(path: Path = HOLDOUT) -> list[Case]:
    """The hand-mapped held-out field lists (systems the templates do not cover)."""
    doc = _load(path)
    cases: list[Case] = []
    for system in doc["systems"]:
        candidates = tuple(_field(item) for item in system["source_fields"])
        for target in system["targets"]:
            cases.append(
                Case(
                    system["name"],
                    _field(target["target"]),
                    target["expected"],
                    candidates,
                    {},
                    target.get("why", ""),
                )
            )
    return cases


def evaluate(cases: list[Case], *, depth: int = 3) -> list[Result]:
    return [
        Result(case, tuple(s.source for s in suggest(case.target, case.candidates, lookups=case.lookups, limit=depth)))
        for case in cases
    ]


def _load(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text())


def _field(item: Any) -> Field:
    if isinstance(item, str):
        return Field(item)
    samples = tuple(item.get("samples", ()))
    return Field(item["name"], item.get("type"), item.get("description"), samples)


def _entity(source: str) -> str:
    words = source.replace(",", " ").split()
    return " ".join(words[:2])


def _paths(expression: str) -> Iterator[str]:
    """The source fields an expression reads (not `context.`), by walking its syntax tree."""
    stack: list[Any] = [parse(expression)]
    while stack:
        node = stack.pop()
        if isinstance(node, nodes.Path):
            if not node.context:
                yield ".".join(node.segments)
            continue
        if isinstance(node, nodes.Node):
            for slot in node.__slots__:
                stack.append(getattr(node, slot))
        elif isinstance(node, tuple):
            stack.extend(node)


def _schema(source: str, read: set[str]) -> tuple[Field, ...]:
    system, _, entity = source.partition(" ")
    fields: dict[str, Field] = {}
    if system == "dynamics365" and entity in _D365_TABLES:
        from ferry.sandboxes.dynamics365.tables import TABLES

        for column in TABLES[_D365_TABLES[entity]].columns.values():
            fields[column.name] = Field(column.name, _D365_TYPES.get(column.kind.value), column.label or None)
    elif system == "tims":
        for name, value in _tims_record(entity).items():
            fields[name] = Field(name, _type_of(value), None, () if value is None else (value,))
    for name in read:
        fields.setdefault(name, Field(name))
    return tuple(fields[name] for name in sorted(fields))


def _tims_record(entity: str) -> dict[str, Any]:
    from ferry.sandboxes.kit import World
    from ferry.sandboxes.tims.seed import customer_values, item_values, vendor_values

    world = World.for_seed(1)
    if entity == "customers":
        return _flat(customer_values(world.companies(4)[3]))
    if entity == "vendors":
        return _flat(vendor_values(world.vendors(1)[0]))
    if entity == "items":
        return _flat(item_values(world.products[0]))
    return {}


def _flat(record: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in record.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


#: Python type of a seeded value -> the suggester's type; bool before int, since a bool is an int.
_TYPES: tuple[tuple[type, str], ...] = ((bool, "boolean"), (int, "integer"), (Decimal, "decimal"), (str, "string"))


def _type_of(value: Any) -> str | None:
    return next((name for kind, name in _TYPES if isinstance(value, kind)), None)
