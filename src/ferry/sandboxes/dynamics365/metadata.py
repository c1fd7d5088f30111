"""Metadata: the CSDL document at `$metadata` (the `EntityDefinitions` API is in `definitions.py`)."""

from __future__ import annotations

import functools
import xml.etree.ElementTree as ET

from ferry.sandboxes.dynamics365.schema import CHOICE_KINDS, Kind, Table

EDMX = "http://docs.oasis-open.org/odata/ns/edmx"
EDM = "http://docs.oasis-open.org/odata/ns/edm"


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
