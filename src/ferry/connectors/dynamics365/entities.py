"""What the connector knows about tables: read once from the CSDL at `$metadata`, then cached.

The CSDL gives entity sets, primary keys, property types, single-valued navigation properties with
the lookup property behind each (`primarycontactid` -> `_primarycontactid_value` -> contacts),
alternate keys (`OData.Community.Keys.V1.AlternateKeys`) and change tracking
(`Org.OData.Capabilities.V1.ChangeTracking`, with `?annotations=true`). `describe` adds what only
`EntityDefinitions` has: required levels, read-only columns, lengths and choice labels.
"""

from __future__ import annotations

import difflib
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ferry.connectors.contract import EntitySchema, FieldSchema, FieldType
from ferry.core.errors import ConfigError

_EDM_TYPES: dict[str, FieldType] = {
    "Edm.String": "string",
    "Edm.Guid": "string",
    "Edm.Int16": "integer",
    "Edm.Int32": "integer",
    "Edm.Int64": "integer",
    "Edm.Byte": "integer",
    "Edm.Decimal": "decimal",
    "Edm.Double": "decimal",
    "Edm.Boolean": "boolean",
    "Edm.DateTimeOffset": "datetime",
    "Edm.Date": "date",
}
_CHOICE_TYPES = frozenset({"Picklist", "State", "Status", "MultiSelectPicklist"})
#: Attribute metadata types whose definitions carry an `OptionSet` to expand.
CHOICE_CASTS = ("PicklistAttributeMetadata", "StatusAttributeMetadata", "StateAttributeMetadata")


@dataclass(frozen=True, slots=True)
class Navigation:
    """A single-valued navigation property: `primarycontactid` is set through `_primarycontactid_value`."""

    name: str
    target: str  # logical name of the target table
    lookup: str  # the `_x_value` property that holds the target's id


@dataclass(slots=True)
class Table:
    logical_name: str
    set_name: str
    primary_id: str
    properties: dict[str, str] = field(default_factory=dict)  # name -> EDM type
    navigations: dict[str, Navigation] = field(default_factory=dict)
    #: Collection-valued navigation properties (a purchase order's lines): name -> target logical name.
    collections: dict[str, str] = field(default_factory=dict)
    alternate_keys: tuple[tuple[str, ...], ...] = ()
    change_tracking: bool = False

    def wire_name(self, name: str) -> str:
        """The property to `$select` or `$filter` on: a lookup's logical name becomes `_x_value`."""
        if name not in self.properties and f"_{name}_value" in self.properties:
            return f"_{name}_value"
        return name


class Catalog:
    """Every entity set in the environment, by set name and by logical name."""

    def __init__(self, tables: Iterable[Table]) -> None:
        self.by_set = {t.set_name: t for t in tables}
        self.by_logical = {t.logical_name: t for t in self.by_set.values()}

    def table(self, set_name: str) -> Table:
        found = self.by_set.get(set_name)
        if found is None:
            close = difflib.get_close_matches(set_name, list(self.by_set), n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            raise ConfigError(
                f"Dataverse has no entity set '{set_name}'. Name tables by their entity set (plural), "
                f"e.g. 'accounts'.{hint}"
            )
        return found

    def set_name(self, logical_name: str) -> str | None:
        table = self.by_logical.get(logical_name)
        return table.set_name if table else None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _type_name(qualified: str) -> str:
    """`mscrm.account` / `Microsoft.Dynamics.CRM.account` -> `account`."""
    return qualified.rsplit(".", 1)[-1]


def _children(element: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in element if _local(c.tag) == name]


def parse_csdl(document: bytes) -> Catalog:
    """The catalog from a `$metadata` document (EDMX, OData 4.0)."""
    root = ET.fromstring(document)
    types: dict[str, ET.Element] = {}
    sets: list[ET.Element] = []
    for element in root.iter():
        tag = _local(element.tag)
        if tag == "EntityType":
            types[element.get("Name", "")] = element
        elif tag == "EntitySet":
            sets.append(element)
    tables = []
    for entity_set in sets:
        logical = _type_name(entity_set.get("EntityType", ""))
        chain = _inheritance(types, logical)
        if not chain:
            continue
        table = Table(logical, entity_set.get("Name", ""), _primary_key(chain))
        for entity_type in reversed(chain):  # base types first, so a derived type's own entries win
            _read_type(entity_type, table)
        table.change_tracking = _change_tracking(entity_set)
        tables.append(table)
    return Catalog(tables)


def _inheritance(types: Mapping[str, ET.Element], name: str) -> list[ET.Element]:
    chain: list[ET.Element] = []
    while name in types and len(chain) < 10:
        chain.append(types[name])
        base = types[name].get("BaseType")
        name = _type_name(base) if base else ""
    return chain


def _primary_key(chain: Sequence[ET.Element]) -> str:
    for entity_type in chain:
        for key in _children(entity_type, "Key"):
            refs = _children(key, "PropertyRef")
            if refs:
                return refs[0].get("Name", "")
    return ""


def _read_type(entity_type: ET.Element, table: Table) -> None:
    for prop in _children(entity_type, "Property"):
        table.properties[prop.get("Name", "")] = prop.get("Type", "")
    for nav in _children(entity_type, "NavigationProperty"):
        target = nav.get("Type", "")
        constraints = _children(nav, "ReferentialConstraint")
        name = nav.get("Name", "")
        if target.startswith("Collection("):
            table.collections[name] = _type_name(target.removeprefix("Collection(").removesuffix(")"))
            continue
        if not constraints:
            continue
        table.navigations[name] = Navigation(name, _type_name(target), constraints[0].get("Property", ""))
    for note in _children(entity_type, "Annotation"):
        if note.get("Term") == "OData.Community.Keys.V1.AlternateKeys":
            table.alternate_keys = tuple(_alternate_keys(note))


def _alternate_keys(note: ET.Element) -> list[tuple[str, ...]]:
    keys = []
    for record in note.iter():
        if _local(record.tag) != "Record" or not (record.get("Type") or "").endswith("AlternateKey"):
            continue
        names = [
            value.get("PropertyPath", "")
            for value in record.iter()
            if _local(value.tag) == "PropertyValue" and value.get("Property") == "Name"
        ]
        if names:
            keys.append(tuple(names))
    return keys


def _change_tracking(entity_set: ET.Element) -> bool:
    for note in _children(entity_set, "Annotation"):
        if note.get("Term") == "Org.OData.Capabilities.V1.ChangeTracking":
            for value in note.iter():
                if _local(value.tag) == "PropertyValue" and value.get("Property") == "Supported":
                    return (value.get("Bool") or "").lower() == "true"
    return False


# --- describe: the CSDL plus EntityDefinitions -------------------------------------------------------


def definition_paths(table: Table) -> list[str]:
    """The `EntityDefinitions` GETs `describe` needs for one table (sent together in one `$batch`)."""
    base = f"EntityDefinitions(LogicalName='{table.logical_name}')"
    paths = [
        f"{base}?$select=LogicalName&$expand=Attributes($select=LogicalName,AttributeType,RequiredLevel,"
        "IsValidForCreate,IsValidForUpdate,IsPrimaryId)",
        f"{base}/Attributes/Microsoft.Dynamics.CRM.StringAttributeMetadata?$select=LogicalName,MaxLength",
    ]
    for cast in CHOICE_CASTS:
        # A picklist may use a global choice, whose options come with `GlobalOptionSet`.
        expand = "OptionSet,GlobalOptionSet" if cast == "PicklistAttributeMetadata" else "OptionSet"
        paths.append(f"{base}/Attributes/Microsoft.Dynamics.CRM.{cast}?$select=LogicalName&$expand={expand}")
    return paths


def entity_schema(table: Table, catalog: Catalog, answers: Sequence[Any]) -> EntitySchema:
    """One table's schema from the catalog and the answers to `definition_paths(table)` (None if one failed)."""
    attributes: dict[str, Mapping[str, Any]] = {}
    lengths: dict[str, int] = {}
    choices: dict[str, dict[Any, str]] = {}
    definition, strings, *choice_answers = answers
    for item in _items(definition, "Attributes"):
        attributes[str(item.get("LogicalName"))] = item
    for item in _items(strings, "value"):
        if isinstance(item.get("MaxLength"), int):
            lengths[str(item.get("LogicalName"))] = item["MaxLength"]
    for answer in choice_answers:
        for item in _items(answer, "value"):
            options = (item.get("OptionSet") or item.get("GlobalOptionSet") or {}).get("Options") or []
            choices[str(item.get("LogicalName"))] = {o.get("Value"): _label(o.get("Label")) for o in options}
    fields: dict[str, FieldSchema] = {}
    lookups = {nav.lookup: nav for nav in table.navigations.values()}
    for name, edm_type in table.properties.items():
        logical = name[1:-6] if name.startswith("_") and name.endswith("_value") else name
        meta = attributes.get(logical, {})
        kind: FieldType = _EDM_TYPES.get(edm_type, "string")
        references: str | None = None
        if name in lookups:
            kind = "reference"
            targets = [nav.target for nav in table.navigations.values() if nav.lookup == name]
            # A polymorphic lookup (customerid: account or contact) lists every target set.
            references = ",".join(catalog.set_name(t) or t for t in targets)
        elif meta.get("AttributeType") in _CHOICE_TYPES or logical in choices:
            kind = "choice"
        required = (meta.get("RequiredLevel") or {}).get("Value") in ("SystemRequired", "ApplicationRequired")
        read_only = bool(meta) and not meta.get("IsValidForCreate") and not meta.get("IsValidForUpdate")
        fields[name] = FieldSchema(
            name=name,
            type=kind,
            required=required and name != table.primary_id,
            read_only=read_only,
            max_length=lengths.get(logical),
            choices=choices.get(logical) if kind == "choice" else None,
            references=references,
        )
    for nav in table.navigations.values():
        # The nested form: read with `expand`, written as a deep insert or an update of the related row.
        fields[nav.name] = FieldSchema(name=nav.name, type="object", references=catalog.set_name(nav.target))
    return EntitySchema(
        name=table.set_name,
        id_field=table.primary_id,
        fields=fields,
        keys=table.alternate_keys,
        incremental=table.change_tracking,
        reports_deletes=table.change_tracking,
    )


def _items(answer: Any, member: str) -> list[Mapping[str, Any]]:
    if not isinstance(answer, Mapping):
        return []
    items = answer.get(member)
    return [i for i in items if isinstance(i, Mapping)] if isinstance(items, list) else []


def _label(label: Any) -> str:
    if isinstance(label, Mapping):
        user = label.get("UserLocalizedLabel")
        if isinstance(user, Mapping) and user.get("Label"):
            return str(user["Label"])
        for localized in label.get("LocalizedLabels") or []:
            if isinstance(localized, Mapping) and localized.get("Label"):
                return str(localized["Label"])
    return ""
