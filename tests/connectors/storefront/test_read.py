"""Reads against the sandbox: paging through `Link`, change polling on `updated_at_min`, get and find."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ferry.connectors.storefront import StorefrontConnector
from ferry.core.errors import ConfigError, PermanentError
from ferry.core.records import WriteKind, WriteOp
from tests.connectors.storefront.conftest import Shop, drain


def store_ids(shop: Shop, table: str) -> set[str]:
    with shop.sandbox.lock:
        return {str(r.id) for r in getattr(shop.sandbox.store, table)}


async def test_reading_customers_pages_through_every_one_once(shop: Shop, connector: StorefrontConnector) -> None:
    records, cursor, pages = await drain(connector, "customers", page_size=25)

    assert pages == 3  # 60 customers, 25 a page: the Link header was followed twice
    assert [r.id for r in records] == sorted({r.id for r in records}, key=int)  # no repeats, id order
    assert {r.id for r in records} == store_ids(shop, "customers")
    assert cursor is not None
    first = records[0]
    assert first.modified_at is not None and first.modified_at.tzinfo is not None
    assert first.version == first.data["updated_at"]


async def test_orders_are_all_read_with_lines_and_money_as_exact_strings(
    shop: Shop, connector: StorefrontConnector
) -> None:
    records, _, _ = await drain(connector, "orders", page_size=15)

    # status=any: closed and cancelled orders are read too, not only open ones
    assert {r.id for r in records} == store_ids(shop, "orders")
    assert any(r.data["cancelled_at"] for r in records) or any(r.data["closed_at"] for r in records)
    times = [r.modified_at for r in records]
    assert times == sorted(times)  # oldest change first
    order = records[0]
    assert isinstance(order.data["total_price"], str)
    assert Decimal(order.data["total_price"]) >= 0
    assert order.data["line_items"] and isinstance(order.data["line_items"][0]["price"], str)


async def test_products_carry_variants_with_skus(connector: StorefrontConnector) -> None:
    records, _, _ = await drain(connector, "products")

    variants = [v for r in records for v in r.data["variants"]]
    assert variants and all("sku" in v and "inventory_item_id" in v for v in variants)
    assert any(v["sku"] for v in variants)


async def test_a_second_read_returns_only_what_changed(shop: Shop, connector: StorefrontConnector) -> None:
    _, cursor, _ = await drain(connector, "customers")
    again, cursor, _ = await drain(connector, "customers", cursor)
    assert again == []

    target = sorted(store_ids(shop, "customers"), key=int)[5]
    [result] = await connector.write([WriteOp(WriteKind.UPDATE, "customers", {"note": "changed"}, id=target)])
    assert result.ok, result.error

    changed, _, _ = await drain(connector, "customers", cursor)
    assert [r.id for r in changed] == [target]
    assert changed[0].data["note"] == "changed"


async def test_a_record_changed_behind_the_walk_is_read_by_the_next_walk(
    shop: Shop, connector: StorefrontConnector
) -> None:
    first = await connector.read("customers", None, page_size=25)
    assert first.more
    passed = first.records[0].id
    # The walk is past this customer (lists go by id); it changes before the walk ends.
    await connector.write([WriteOp(WriteKind.UPDATE, "customers", {"note": "while walking"}, id=passed)])
    rest, cursor, _ = await drain(connector, "customers", first.cursor, page_size=25)
    assert passed not in {r.id for r in rest}

    following, _, _ = await drain(connector, "customers", cursor)
    assert passed in {r.id for r in following}
    assert next(r for r in following if r.id == passed).data["note"] == "while walking"


async def test_inventory_levels_and_locations(shop: Shop, connector: StorefrontConnector) -> None:
    locations, cursor, _ = await drain(connector, "locations")
    assert cursor is None and {r.id for r in locations} == store_ids(shop, "locations")

    levels, _, _ = await drain(connector, "inventory_levels")
    with shop.sandbox.lock:
        expected = {f"{item}/{location}" for item, location in shop.sandbox.store.levels}
    assert {r.id for r in levels} == expected
    level = levels[0]
    assert isinstance(level.data["available"], int)
    got = await connector.get("inventory_levels", level.id)
    assert got is not None and got.data["available"] == level.data["available"]


async def test_fulfillments_are_read_from_their_orders(shop: Shop, connector: StorefrontConnector) -> None:
    records, _, _ = await drain(connector, "fulfillments")
    assert {r.id for r in records} == store_ids(shop, "fulfillments")
    one = records[0]
    got = await connector.get("fulfillments", f"{one.data['order_id']}/{one.id}")
    assert got is not None and got.data["tracking_number"] == one.data["tracking_number"]
    found = await connector.find("fulfillments", {"order_id": one.data["order_id"]})
    assert one.id in {r.id for r in found}


async def test_get_and_find(shop: Shop, connector: StorefrontConnector) -> None:
    some = sorted(store_ids(shop, "customers"), key=int)[3]
    record = await connector.get("customers", some)
    assert record is not None and record.id == some
    assert await connector.get("customers", "1") is None
    assert await connector.get("customers", "not-a-number") is None

    email = next(r for r in (await drain(connector, "customers"))[0] if r.data.get("email")).data["email"]
    found = await connector.find("customers", {"email": email.upper()})
    assert [r.data["email"] for r in found] == [email]

    products, _, _ = await drain(connector, "products")
    handle = products[2].data["handle"]
    assert [r.id for r in await connector.find("products", {"handle": handle})] == [products[2].id]

    variant = next(v for r in products for v in r.data["variants"] if v["sku"])
    by_sku = await connector.find("inventory_levels", {"sku": variant["sku"]})
    assert by_sku and all(r.data["inventory_item_id"] == variant["inventory_item_id"] for r in by_sku)


async def test_a_foreign_cursor_and_an_unknown_entity_are_refused(connector: StorefrontConnector) -> None:
    with pytest.raises(PermanentError, match="cursor"):
        await connector.read("customers", '{"v": 9}')
    with pytest.raises(ConfigError, match="no entity 'carts'"):
        await connector.read("carts", None)
    schemas = {s.name: s for s in await connector.describe()}
    assert set(schemas) == {"customers", "orders", "products", "inventory_levels", "locations", "fulfillments"}
    assert schemas["inventory_levels"].id_field == "inventory_item_id/location_id"
