"""The entities TIMS offers, described from the contract."""

from __future__ import annotations

from ferry.connectors.tims import TimsConnector
from ferry.connectors.tims.entities import EVENT_PREFIXES


async def test_every_collection_of_the_contract_is_described(connector: TimsConnector) -> None:
    names = [schema.name for schema in await connector.describe()]

    assert names == list(EVENT_PREFIXES) and "sales-orders" in names and "gl-entries" in names


async def test_customers_have_their_id_keys_and_read_only_fields(connector: TimsConnector) -> None:
    schemas = {s.name: s for s in await connector.describe()}
    customers = schemas["customers"]

    assert customers.id_field == "CustomerID" and ("ExternalID",) in customers.keys
    assert customers.fields["Version"].read_only and customers.fields["ModifiedAt"].type == "datetime"
    assert customers.fields["CreditLimit"].type == "decimal" and not customers.fields["Email"].read_only
    assert customers.incremental and customers.reports_deletes


async def test_items_are_keyed_by_sku_and_orders_reference_customers(connector: TimsConnector) -> None:
    schemas = {s.name: s for s in await connector.describe()}

    assert ("SKU",) in schemas["items"].keys
    assert schemas["sales-orders"].fields["CustomerID"].references == "customers"
    assert schemas["sales-orders"].fields["Total"].read_only
    assert all(f.read_only for f in schemas["inventory"].fields.values())


async def test_described_fields_match_what_tims_returns(connector: TimsConnector) -> None:
    schemas = {s.name: s for s in await connector.describe()}
    for entity in schemas:
        page = await connector.read(entity, None, page_size=1)
        assert set(page.records[0].data) == set(schemas[entity].fields), entity
