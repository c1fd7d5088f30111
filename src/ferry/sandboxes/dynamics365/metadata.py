"""Metadata: the CSDL document at `$metadata` and the `EntityDefinitions` API with option sets."""

from __future__ import annotations

import functools
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ferry.sandboxes.dynamics365.errors import ODATA_PARSE, ODataError, bad_request
from ferry.sandboxes.dynamics365.schema import CHOICE_KINDS, Column, Kind, Table

if TYPE_CHECKING:
    from ferry.sandboxes.dynamics365.service import DataverseService

EDMX = "http://docs.oasis-open.org/odata/ns/edmx"
EDM = "http://docs.oasis-open.org/odata/ns/edm"
_METADATA_NS = uuid.UUID("6f7a1e3c-4c8e-4f53-9d1f-5c2b8f0a9e11")


def csdl(tables: dict[str, Table], annotations: bool = True) -> str:
    """The EDMX document; choice columns carry their allowed values (Validation vocabulary)."""
    return _csdl(tuple(tables.values()), annotations)


@functools.cache
def _csdl(tables: tuple[Table, ...], annotations: bool) -> str:
    ET.register_namespace("edmx", EDMX)
    root = ET.Element(f"{{{EDMX}}}Edmx", Version="4.0")
    for uri, namespace, alias in (
        ("http://vocabularies.odata.org/OData.Community.Keys.V1.xml", "OData.Community.Keys.V1", "Keys"),
        ("http://vocabularies.odata.org/OData.Community.Display.V1.xml", "OData.Community.Display.V1", "Display"),
        (
            "https://oasis-tcs.github.io/odata-vocabularies/vocabularies/Org.OData.Capabilities.V1.xml",
            "Org.OData.Capabilities.V1",
            "Capabilities",
        ),
        (
            "https://oasis-tcs.github.io/odata-vocabularies/vocabularies/Org.OData.Validation.V1.xml",
            "Org.OData.Validation.V1",
            "Validation",
        ),
        (
            "https://oasis-tcs.github.io/odata-vocabularies/vocabularies/Org.OData.Core.V1.xml",
            "Org.OData.Core.V1",
            "Core",
        ),
    ):
        ref = ET.SubElement(root, f"{{{EDMX}}}Reference", Uri=uri)
        ET.SubElement(ref, f"{{{EDMX}}}Include", Namespace=namespace, Alias=alias)
    services = ET.SubElement(root, f"{{{EDMX}}}DataServices")
    schema = ET.SubElement(services, "Schema", Namespace="Microsoft.Dynamics.CRM", Alias="mscrm", xmlns=EDM)
    ET.SubElement(schema, "EntityType", Name="crmbaseentity", Abstract="true")
    by_name = {t.logical_name: t for t in tables}
    for table in tables:
        _entity_type(schema, table, by_name, annotations)
    whoami = ET.SubElement(schema, "ComplexType", Name="WhoAmIResponse")
    for prop in ("BusinessUnitId", "UserId", "OrganizationId"):
        ET.SubElement(whoami, "Property", Name=prop, Type="Edm.Guid", Nullable="false")
    function = ET.SubElement(schema, "Function", Name="WhoAmI")
    ET.SubElement(function, "ReturnType", Type="mscrm.WhoAmIResponse", Nullable="false")
    container = ET.SubElement(schema, "EntityContainer", Name="System")
    for table in tables:
        entity_set = ET.SubElement(
            container, "EntitySet", Name=table.set_name, EntityType=f"mscrm.{table.logical_name}"
        )
        for nav, (_column, target) in table.navigations.items():
            if target in by_name:
                ET.SubElement(entity_set, "NavigationPropertyBinding", Path=nav, Target=by_name[target].set_name)
        for rel in table.relationships:
            ET.SubElement(entity_set, "NavigationPropertyBinding", Path=rel.name, Target=by_name[rel.child].set_name)
        if annotations:
            tracking = ET.SubElement(entity_set, "Annotation", Term="Org.OData.Capabilities.V1.ChangeTracking")
            record = ET.SubElement(tracking, "Record")
            ET.SubElement(record, "PropertyValue", Property="Supported", Bool=str(table.change_tracking).lower())
    ET.SubElement(container, "FunctionImport", Name="WhoAmI", Function="mscrm.WhoAmI")
    return '<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(root, encoding="unicode")


def _entity_type(schema: ET.Element, table: Table, by_name: dict[str, Table], annotations: bool) -> None:
    entity = ET.SubElement(schema, "EntityType", Name=table.logical_name, BaseType="mscrm.crmbaseentity")
    key = ET.SubElement(entity, "Key")
    ET.SubElement(key, "PropertyRef", Name=table.primary_id)
    for column in table.columns.values():
        attrs = {"Name": column.wire_name, "Type": column.kind.edm}
        if column.kind in (Kind.STRING, Kind.MEMO):
            attrs["Unicode"] = "false"
        elif column.kind in (Kind.MONEY, Kind.DECIMAL):
            attrs["Scale"] = "Variable"
        elif column.kind is Kind.DATETIME:
            attrs["Precision"] = "0"
        prop = ET.SubElement(entity, "Property", attrs)
        if column.kind in CHOICE_KINDS and column.options and annotations:
            allowed = ET.SubElement(prop, "Annotation", Term="Org.OData.Validation.V1.AllowedValues")
            collection = ET.SubElement(allowed, "Collection")
            for option in column.options:
                record = ET.SubElement(collection, "Record")
                ET.SubElement(record, "PropertyValue", Property="Value", Int=str(option.value))
                ET.SubElement(record, "Annotation", Term="Org.OData.Core.V1.Description", String=option.label)
    for nav, (column, target) in table.navigations.items():
        if target not in by_name:
            continue
        nav_el = ET.SubElement(entity, "NavigationProperty", Name=nav, Type=f"mscrm.{target}")
        ET.SubElement(
            nav_el, "ReferentialConstraint", Property=column.wire_name, ReferencedProperty=by_name[target].primary_id
        )
    for rel in table.relationships:
        ET.SubElement(entity, "NavigationProperty", Name=rel.name, Type=f"Collection(mscrm.{rel.child})")
    if table.alternate_keys:
        note = ET.SubElement(entity, "Annotation", Term="OData.Community.Keys.V1.AlternateKeys")
        collection = ET.SubElement(note, "Collection")
        for alternate in table.alternate_keys:
            record = ET.SubElement(collection, "Record", Type="OData.Community.Keys.V1.AlternateKey")
            value = ET.SubElement(record, "PropertyValue", Property="Key")
            parts = ET.SubElement(value, "Collection")
            for name in alternate:
                part = ET.SubElement(parts, "Record", Type="OData.Community.Keys.V1.PropertyRef")
                ET.SubElement(part, "PropertyValue", Property="Alias", String=name)
                ET.SubElement(part, "PropertyValue", Property="Name", PropertyPath=name)


# --- EntityDefinitions ------------------------------------------------------------------------

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
_DEF = re.compile(
    r"^EntityDefinitions(?:\(LogicalName='(?P<entity>\w+)'\))?"
    r"(?:/Attributes(?:\(LogicalName='(?P<attr>\w+)'\))?(?:/Microsoft\.Dynamics\.CRM\.(?P<cast>\w+))?)?$"
)


def _label(text: str) -> dict[str, Any]:
    label = {"Label": text, "LanguageCode": 1033}
    return {"LocalizedLabels": [label], "UserLocalizedLabel": label}


def _metadata_id(*parts: str) -> str:
    return str(uuid.uuid5(_METADATA_NS, "/".join(parts)))


def entity_definition(table: Table) -> dict[str, Any]:
    return {
        "MetadataId": _metadata_id(table.logical_name),
        "LogicalName": table.logical_name,
        "SchemaName": table.logical_name.capitalize()
        if not table.logical_name.startswith("msdyn_")
        else table.logical_name,
        "EntitySetName": table.set_name,
        "PrimaryIdAttribute": table.primary_id,
        "PrimaryNameAttribute": table.primary_name,
        "ChangeTrackingEnabled": table.change_tracking,
        "IsOptimisticConcurrencyEnabled": table.optimistic_concurrency,
        "DisplayName": _label(table.display_name),
        "Keys": [{"KeyAttributes": list(k), "LogicalName": "_".join(k) + "_key"} for k in table.alternate_keys],
    }


def attribute_definition(table: Table, column: Column, expand_options: bool) -> dict[str, Any]:
    kind_name = _METADATA_TYPES[column.kind]
    out: dict[str, Any] = {
        "@odata.type": f"#Microsoft.Dynamics.CRM.{kind_name}",
        "MetadataId": _metadata_id(table.logical_name, column.name),
        "LogicalName": column.name,
        "SchemaName": column.nav or column.name,
        "AttributeType": column.kind.value,
        "AttributeTypeName": {"Value": column.kind.value + "Type"},
        "RequiredLevel": {"Value": "SystemRequired" if column.required else "None"},
        "IsValidForCreate": not column.read_only,
        "IsValidForUpdate": not column.read_only and column.name != table.primary_id,
        "DisplayName": _label(column.label or column.name),
    }
    if column.max_length is not None:
        out["MaxLength"] = column.max_length
    if column.is_lookup:
        out["Targets"] = list(column.targets)
    if column.kind in (Kind.MONEY, Kind.DECIMAL):
        out["Precision"] = column.precision
    if expand_options and column.kind in CHOICE_KINDS:
        options = []
        for option in column.options:
            item: dict[str, Any] = {"Value": option.value, "Label": _label(option.label)}
            if option.state is not None:
                item["State"] = option.state
            if option.default_status is not None:
                item["DefaultStatus"] = option.default_status
            options.append(item)
        out["OptionSet"] = {
            "MetadataId": _metadata_id(table.logical_name, column.name, "options"),
            "Name": f"{table.logical_name}_{column.name}",
            "IsGlobal": False,
            "OptionSetType": "State"
            if column.kind is Kind.STATE
            else "Status"
            if column.kind is Kind.STATUS
            else "Picklist",
            "Options": options,
        }
    return out


def definitions(svc: DataverseService, path: str, params: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """`EntityDefinitions[(LogicalName='x')][/Attributes[(LogicalName='y')][/Microsoft.Dynamics.CRM.Cast]]`."""
    root = svc.root
    if path.startswith("GlobalOptionSetDefinitions"):
        raise ODataError(
            404, "0x80040217", "The sandbox has no global choices; every choice here is local to its table."
        )
    m = _DEF.match(path)
    if m is None:
        raise ODataError(404, ODATA_PARSE, f"Resource not found for the segment '{path}'.")
    query = dict(params)
    select = [s.strip() for s in query.get("$select", "").split(",") if s.strip()]
    expand = query.get("$expand", "")
    entity, attr, cast = m.group("entity"), m.group("attr"), m.group("cast")
    if entity is None:
        if attr:
            raise bad_request("Name the table: EntityDefinitions(LogicalName='<table>')/Attributes.")
        wanted = _definition_filter(query.get("$filter"))
        items = [_pick(entity_definition(t), select) for t in svc.tables.values() if wanted(entity_definition(t))]
        return {"@odata.context": f"{root}$metadata#EntityDefinitions", "value": items}
    table = svc.tables.get(entity)
    if table is None:
        raise ODataError(404, "0x80040217", f"Could not find entity with LogicalName = '{entity}'.")
    if "/Attributes" not in path:
        body = _pick(entity_definition(table), select)
        if "Attributes" in expand:
            body["Attributes"] = [attribute_definition(table, c, False) for c in table.columns.values()]
        return {"@odata.context": f"{root}$metadata#EntityDefinitions/$entity", **body}
    if attr is None:
        return {
            "@odata.context": f"{root}$metadata#EntityDefinitions('{entity}')/Attributes",
            "value": [_pick(attribute_definition(table, c, False), select) for c in table.columns.values()],
        }
    column = table.columns.get(attr)
    if column is None:
        raise ODataError(404, "0x80040217", f"Could not find attribute with LogicalName = '{attr}' on '{entity}'.")
    if cast is not None and cast != _METADATA_TYPES[column.kind]:
        raise bad_request(f"The attribute '{attr}' is a {_METADATA_TYPES[column.kind]}, not a {cast}.")
    body = attribute_definition(table, column, "OptionSet" in expand or "GlobalOptionSet" in expand)
    keep = set(select) | ({"OptionSet"} if "OptionSet" in expand else set())
    return {
        "@odata.context": f"{root}$metadata#EntityDefinitions('{entity}')/Attributes/$entity",
        **(_pick(body, list(keep)) if select else body),
    }


_CLAUSE = re.compile(r"^\s*(\w+)\s+eq\s+(?:'((?:[^']|'')*)'|(true|false))\s*$")


def _definition_filter(text: str | None) -> Callable[[dict[str, Any]], bool]:
    """`$filter` on metadata: `Property eq 'value'` clauses joined by `and` (what clients send)."""
    if not text:
        return lambda item: True
    clauses: list[tuple[str, Any]] = []
    for part in re.split(r"\s+and\s+", text):
        m = _CLAUSE.match(part)
        if m is None:
            raise bad_request(f"The sandbox filters metadata by \"Property eq 'value'\" clauses only, not '{part}'.")
        value: Any = m.group(2).replace("''", "'") if m.group(2) is not None else m.group(3) == "true"
        clauses.append((m.group(1), value))
    return lambda item: all(item.get(name) == value for name, value in clauses)


def _pick(item: dict[str, Any], select: list[str]) -> dict[str, Any]:
    if not select:
        return item
    keep = {"MetadataId", "@odata.type", *select}
    return {k: v for k, v in item.items() if k in keep}
