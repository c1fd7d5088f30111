"""The metadata API: `EntityDefinitions` with their `Attributes` (and option sets) and `Keys`.

Paths: `EntityDefinitions[(LogicalName='x') | (<MetadataId>)]`, then optionally
`/Attributes[(LogicalName='y') | (<MetadataId>)][/Microsoft.Dynamics.CRM.<Type>AttributeMetadata]` or `/Keys`.
A type cast on `Attributes` keeps the attributes of that type, and is what makes `$expand=OptionSet` legal.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ferry.sandboxes.dynamics365 import metafilter
from ferry.sandboxes.dynamics365.errors import ODATA_PARSE, ODataError, bad_request
from ferry.sandboxes.dynamics365.paths import split_top_level
from ferry.sandboxes.dynamics365.schema import CHOICE_KINDS, Column, Kind, Table

if TYPE_CHECKING:
    from ferry.sandboxes.dynamics365.service import DataverseService

_METADATA_NS = uuid.UUID("6f7a1e3c-4c8e-4f53-9d1f-5c2b8f0a9e11")
_METADATA_TYPES = {
    Kind.STRING: "StringAttributeMetadata",
    Kind.MEMO: "MemoAttributeMetadata",
    Kind.GUID: "UniqueIdentifierAttributeMetadata",
    Kind.INT: "IntegerAttributeMetadata",
    Kind.BIGINT: "BigIntAttributeMetadata",
    Kind.DECIMAL: "DecimalAttributeMetadata",
    Kind.MONEY: "MoneyAttributeMetadata",
    Kind.DOUBLE: "DoubleAttributeMetadata",
    Kind.BOOL: "BooleanAttributeMetadata",
    Kind.DATETIME: "DateTimeAttributeMetadata",
    Kind.DATE: "DateTimeAttributeMetadata",
    Kind.PICKLIST: "PicklistAttributeMetadata",
    Kind.STATE: "StateAttributeMetadata",
    Kind.STATUS: "StatusAttributeMetadata",
    Kind.LOOKUP: "LookupAttributeMetadata",
}
#: Attribute types the service knows that no sandbox column has (a cast to them matches nothing).
_OTHER_TYPES = frozenset(
    {
        "MultiSelectPicklistAttributeMetadata",
        "EntityNameAttributeMetadata",
        "ImageAttributeMetadata",
        "FileAttributeMetadata",
        "ManagedPropertyAttributeMetadata",
    }
)
#: Types whose definitions have the `OptionSet` navigation property.
_OPTION_SET_TYPES = frozenset(
    {
        "PicklistAttributeMetadata",
        "StateAttributeMetadata",
        "StatusAttributeMetadata",
        "BooleanAttributeMetadata",
        "MultiSelectPicklistAttributeMetadata",
    }
)
_GUID = r"[0-9a-fA-F]{{8}}(?:-[0-9a-fA-F]{{4}}){{3}}-[0-9a-fA-F]{{12}}"
_KEY = rf"\((?:LogicalName='(?P<{{0}}_name>\w+)'|(?P<{{0}}_id>{_GUID}))\)"
_PATH = re.compile(
    rf"^EntityDefinitions(?:{_KEY.format('entity')})?"
    rf"(?:/(?P<member>Attributes|Keys)(?:{_KEY.format('member')})?"
    r"(?:/Microsoft\.Dynamics\.CRM\.(?P<cast>\w+))?)?$"
)


def definitions(svc: DataverseService, path: str, params: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """Answer a GET below `EntityDefinitions` (or `GlobalOptionSetDefinitions`)."""
    root = svc.root
    if path.startswith("GlobalOptionSetDefinitions"):
        raise ODataError(
            404, "0x80040217", "The sandbox has no global choices; every choice here is local to its table."
        )
    m = _PATH.match(path)
    if m is None:
        raise ODataError(404, ODATA_PARSE, f"Resource not found for the segment '{path}'.")
    query = dict(params)
    select = [s.strip() for s in query.get("$select", "").split(",") if s.strip()]
    expand = _expansions(query.get("$expand", ""))
    matches = metafilter.parse(query.get("$filter"))
    name, metadata_id = m.group("entity_name"), m.group("entity_id")
    if name is None and metadata_id is None:
        if m.group("member"):
            raise bad_request("Name the table: EntityDefinitions(LogicalName='<table>')/Attributes.")
        items = [entity_definition(t) for t in svc.tables.values()]
        return {
            "@odata.context": f"{root}$metadata#EntityDefinitions",
            "value": [_entity_body(t, item, select, expand) for t, item in items if matches(item)],
        }
    table = _find_table(svc, name, metadata_id)
    entity_key = f"LogicalName='{table.logical_name}'" if name else metadata_id
    context = f"{root}$metadata#EntityDefinitions({entity_key})"
    member = m.group("member")
    if member is None:
        return {"@odata.context": f"{root}$metadata#EntityDefinitions/$entity", **_entity(table, select, expand)}
    if member == "Keys":
        if m.group("cast") or m.group("member_name") or m.group("member_id"):
            raise ODataError(404, ODATA_PARSE, f"Resource not found for the segment '{path}'.")
        keys = [k for k in key_definitions(table) if matches(k)]
        return {"@odata.context": f"{context}/Keys", "value": [_pick(k, select) for k in keys]}
    cast = m.group("cast")
    if cast is not None and cast not in _METADATA_TYPES.values() and cast not in _OTHER_TYPES:
        raise ODataError(404, ODATA_PARSE, f"Resource not found for the segment 'Microsoft.Dynamics.CRM.{cast}'.")
    if set(expand) & {"OptionSet", "GlobalOptionSet"} and cast not in _OPTION_SET_TYPES:
        raise bad_request(
            "Could not find a property named 'OptionSet' on type 'Microsoft.Dynamics.CRM.AttributeMetadata'. "
            "Cast the attributes to a type that has one, such as Microsoft.Dynamics.CRM.PicklistAttributeMetadata."
        )
    suffix = f"/Microsoft.Dynamics.CRM.{cast}" if cast else ""
    attr_name, attr_id = m.group("member_name"), m.group("member_id")
    if attr_name is None and attr_id is None:
        columns = [c for c in table.columns.values() if cast is None or _METADATA_TYPES[c.kind] == cast]
        attributes = [attribute_definition(table, c, expand) for c in columns]
        return {
            "@odata.context": f"{context}/Attributes{suffix}",
            "value": [_pick(item, select, expand) for item in attributes if matches(item)],
        }
    column = _find_column(table, attr_name, attr_id)
    if cast is not None and cast != _METADATA_TYPES[column.kind]:
        raise bad_request(f"The attribute '{column.name}' is a {_METADATA_TYPES[column.kind]}, not a {cast}.")
    return {
        "@odata.context": f"{context}/Attributes{suffix}/$entity",
        **_pick(attribute_definition(table, column, expand), select, expand),
    }


# --- definitions --------------------------------------------------------------------------------------


def _label(text: str) -> dict[str, Any]:
    label = {"Label": text, "LanguageCode": 1033}
    return {"LocalizedLabels": [label], "UserLocalizedLabel": label}


def _metadata_id(*parts: str) -> str:
    return str(uuid.uuid5(_METADATA_NS, "/".join(parts)))


def entity_definition(table: Table) -> tuple[Table, dict[str, Any]]:
    solution = table.logical_name.startswith("msdyn_")
    return table, {
        "MetadataId": _metadata_id(table.logical_name),
        "LogicalName": table.logical_name,
        "SchemaName": table.logical_name if solution else table.logical_name.capitalize(),
        "EntitySetName": table.set_name,
        "LogicalCollectionName": table.set_name,
        "PrimaryIdAttribute": table.primary_id,
        "PrimaryNameAttribute": table.primary_name,
        "OwnershipType": "UserOwned" if "ownerid" in table.columns else "OrganizationOwned",
        "IsPrivate": False,
        "IsCustomEntity": solution,
        "IsActivity": False,
        "IsIntersect": False,
        "ChangeTrackingEnabled": table.change_tracking,
        "IsOptimisticConcurrencyEnabled": table.optimistic_concurrency,
        "DisplayName": _label(table.display_name),
    }


def key_definitions(table: Table) -> list[dict[str, Any]]:
    """The table's alternate keys (`EntityKeyMetadata`)."""
    out = []
    for columns in table.alternate_keys:
        name = "_".join(columns) + "_key"
        out.append(
            {
                "MetadataId": _metadata_id(table.logical_name, "keys", name),
                "LogicalName": name,
                "SchemaName": name,
                "EntityLogicalName": table.logical_name,
                "KeyAttributes": list(columns),
                "EntityKeyIndexStatus": "Active",
                "DisplayName": _label(name),
            }
        )
    return out


def attribute_definition(table: Table, column: Column, expand: dict[str, list[str]]) -> dict[str, Any]:
    kind_name = _METADATA_TYPES[column.kind]
    out: dict[str, Any] = {
        "@odata.type": f"#Microsoft.Dynamics.CRM.{kind_name}",
        "MetadataId": _metadata_id(table.logical_name, column.name),
        "LogicalName": column.name,
        "SchemaName": column.nav or column.name,
        "EntityLogicalName": table.logical_name,
        "AttributeType": column.kind.value,
        "AttributeTypeName": {"Value": column.kind.value + "Type"},
        "IsPrimaryId": column.name == table.primary_id,
        "IsPrimaryName": column.name == table.primary_name,
        "RequiredLevel": {"Value": "SystemRequired" if column.required else "None"},
        "IsValidForCreate": not column.read_only,
        "IsValidForUpdate": not column.read_only and column.name != table.primary_id,
        "IsValidForRead": not column.write_only,
        "IsCustomAttribute": column.custom,
        "DisplayName": _label(column.label or column.name),
    }
    if column.max_length is not None:
        out["MaxLength"] = column.max_length
    if column.is_lookup:
        out["Targets"] = list(column.targets)
    if column.kind in (Kind.MONEY, Kind.DECIMAL):
        out["Precision"] = column.precision
    if "OptionSet" in expand:
        out["OptionSet"] = _pick(_option_set(table, column), expand["OptionSet"])
    if "GlobalOptionSet" in expand:
        out["GlobalOptionSet"] = None  # every sandbox choice is local to its table
    return out


def _option_set(table: Table, column: Column) -> dict[str, Any]:
    base = {
        "MetadataId": _metadata_id(table.logical_name, column.name, "options"),
        "Name": f"{table.logical_name}_{column.name}",
        "IsGlobal": False,
    }
    if column.kind is Kind.BOOL:
        return {
            **base,
            "OptionSetType": "Boolean",
            "TrueOption": {"Value": 1, "Label": _label("Yes")},
            "FalseOption": {"Value": 0, "Label": _label("No")},
        }
    options = []
    for option in column.options if column.kind in CHOICE_KINDS else ():
        item: dict[str, Any] = {"Value": option.value, "Label": _label(option.label)}
        if option.state is not None:
            item["State"] = option.state
        if option.default_status is not None:
            item["DefaultStatus"] = option.default_status
        options.append(item)
    kind = {Kind.STATE: "State", Kind.STATUS: "Status"}.get(column.kind, "Picklist")
    return {**base, "OptionSetType": kind, "Options": options}


# --- lookups and projection -----------------------------------------------------------------------


def _find_table(svc: DataverseService, name: str | None, metadata_id: str | None) -> Table:
    if name is not None:
        table = svc.tables.get(name)
    else:
        wanted = (metadata_id or "").lower()
        table = next((t for t in svc.tables.values() if _metadata_id(t.logical_name) == wanted), None)
    if table is None:
        what = f"LogicalName = '{name}'" if name is not None else f"MetadataId = {metadata_id}"
        raise ODataError(404, "0x80040217", f"Could not find entity with {what}.")
    return table


def _find_column(table: Table, name: str | None, metadata_id: str | None) -> Column:
    if name is not None:
        column = table.columns.get(name)
    else:
        wanted = (metadata_id or "").lower()
        column = next((c for c in table.columns.values() if _metadata_id(table.logical_name, c.name) == wanted), None)
    if column is None:
        what = f"LogicalName = '{name}'" if name is not None else f"MetadataId = {metadata_id}"
        raise ODataError(404, "0x80040217", f"Could not find attribute with {what} on '{table.logical_name}'.")
    return column


def _entity(table: Table, select: list[str], expand: dict[str, list[str]]) -> dict[str, Any]:
    return _entity_body(*entity_definition(table), select, expand)


def _entity_body(table: Table, item: dict[str, Any], select: list[str], expand: dict[str, list[str]]) -> dict[str, Any]:
    body = _pick(item, select)
    for name, nested in expand.items():
        if name == "Attributes":
            body["Attributes"] = [_pick(attribute_definition(table, c, {}), nested) for c in table.columns.values()]
        elif name == "Keys":
            body["Keys"] = [_pick(k, nested) for k in key_definitions(table)]
        else:
            raise bad_request(
                f"Could not find a property named '{name}' on type 'Microsoft.Dynamics.CRM.EntityMetadata'."
            )
    return body


def _expansions(text: str) -> dict[str, list[str]]:
    """`OptionSet($select=Options),GlobalOptionSet` -> {"OptionSet": ["Options"], "GlobalOptionSet": []}."""
    out: dict[str, list[str]] = {}
    for part in split_top_level(text, ","):
        name, _, rest = part.strip().partition("(")
        select: list[str] = []
        for option in split_top_level(rest.removesuffix(")"), ";"):
            key, _, value = option.partition("=")
            if key.strip() == "$select":
                select = [s.strip() for s in value.split(",") if s.strip()]
        if name.strip():
            out[name.strip()] = select
    return out


def _pick(item: dict[str, Any], select: list[str], expand: dict[str, list[str]] | None = None) -> dict[str, Any]:
    if not select:
        return item
    keep = {"MetadataId", "@odata.type", *select, *(expand or {})}
    return {k: v for k, v in item.items() if k in keep}


__all__ = ["attribute_definition", "definitions", "entity_definition", "key_definitions"]
