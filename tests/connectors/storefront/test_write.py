"""Writes against the sandbox: order updates, customers, inventory set, fulfillments, validation shown."""

from __future__ import annotations

from typing import Any

from ferry.connectors.storefront import StorefrontConnector
from ferry.core.errors import ConflictError, ValidationError
from ferry.core.records import WriteKind, WriteOp
from tests.connectors.storefront.conftest import Shop, drain


def order_doc(shop: Shop, order_id: str) -> dict[str, Any]:
    with shop.sandbox.lock:
        return dict(shop.sandbox.store.orders.require(int(order_id)).doc)


async def open_unfulfilled_order(connector: StorefrontConnector) -> str:
    orders, _, _ = await drain(connector, "orders")
    found = next(
        r
        for r in orders
        if r.data["fulfillment_status"] is None and not r.data["cancelled_at"] and len(r.data["line_items"]) >= 1
    )
    return found.id


async def test_an_order_update_writes_tags_and_note(shop: Shop, connector: StorefrontConnector) -> None:
    orders, _, _ = await drain(connector, "orders")
    target = orders[0].id
    data = {"tags": "erp-synced, SO-1001", "note": "TIMS sales order SO-1001"}
    [result] = await connector.write([WriteOp(WriteKind.UPDATE, "orders", data, id=target)])

    assert result.ok and result.id == target and not result.created
    doc = order_doc(shop, target)
    assert doc["tags"] == "erp-synced, SO-1001" and doc["note"] == "TIMS sales order SO-1001"
    assert result.record is not None and result.version == doc["updated_at"]


async def test_an_order_update_of_a_read_only_field_fails_the_record(connector: StorefrontConnector) -> None:
    orders, _, _ = await drain(connector, "orders")
    [result] = await connector.write([WriteOp(WriteKind.UPDATE, "orders", {"total_price": "1.00"}, id=orders[0].id)])
    assert not result.ok and isinstance(result.error, ValidationError)
    assert "total_price" in result.error.field_errors


async def test_a_422_shows_shopifys_errors(connector: StorefrontConnector) -> None:
    bad = WriteOp(WriteKind.CREATE, "customers", {"first_name": "Ada", "email": "not-an-email"})
    good = WriteOp(WriteKind.CREATE, "customers", {"first_name": "Ada", "email": "ada@example.com"})
    first, second = await connector.write([bad, good])

    assert not first.ok and isinstance(first.error, ValidationError)
    assert first.error.context["status"] == 422
    assert "email is invalid" in first.error.message
    assert first.error.field_errors == {"email": "is invalid"}
    assert second.ok and second.created and second.record is not None
    assert second.record.data["email"] == "ada@example.com"


async def test_an_upsert_by_email_updates_the_customer_that_has_it(shop: Shop, connector: StorefrontConnector) -> None:
    customers, _, _ = await drain(connector, "customers")
    existing = next(r for r in customers if r.data.get("email"))
    op = WriteOp(WriteKind.UPSERT, "customers", {"note": "from the ERP"}, key={"email": existing.data["email"]})
    [result] = await connector.write([op])
    assert result.ok and result.id == existing.id and not result.created

    fresh = WriteOp(WriteKind.UPSERT, "customers", {"last_name": "New"}, key={"email": "brand.new@example.com"})
    [made] = await connector.write([fresh])
    assert made.ok and made.created and made.id not in {r.id for r in customers}


async def test_a_stale_if_match_is_a_conflict(connector: StorefrontConnector) -> None:
    customers, _, _ = await drain(connector, "customers")
    op = WriteOp(WriteKind.UPDATE, "customers", {"note": "x"}, id=customers[0].id, if_match="2001-01-01T00:00:00Z")
    [result] = await connector.write([op])
    assert not result.ok and isinstance(result.error, ConflictError)


async def test_inventory_set_by_level_id_and_by_sku(shop: Shop, connector: StorefrontConnector) -> None:
    levels, _, _ = await drain(connector, "inventory_levels")
    level = levels[0]
    [by_id] = await connector.write([WriteOp(WriteKind.UPDATE, "inventory_levels", {"available": 17}, id=level.id)])
    assert by_id.ok and by_id.id == level.id and by_id.record is not None
    assert by_id.record.data["available"] == 17
    item, location = (int(part) for part in level.id.split("/"))
    with shop.sandbox.lock:
        assert shop.sandbox.store.level(item, location).available == 17  # type: ignore[union-attr]

    products, _, _ = await drain(connector, "products")
    variant = next(v for r in products for v in r.data["variants"] if v["sku"])
    op = WriteOp(
        WriteKind.UPSERT, "inventory_levels", {"available": 5}, key={"sku": variant["sku"], "location_id": location}
    )
    [by_sku] = await connector.write([op])
    assert by_sku.ok and by_sku.id == f"{variant['inventory_item_id']}/{location}"
    with shop.sandbox.lock:
        assert shop.sandbox.store.level(variant["inventory_item_id"], location).available == 5  # type: ignore[union-attr]

    [unknown] = await connector.write(
        [WriteOp(WriteKind.UPDATE, "inventory_levels", {"available": 1}, key={"sku": "NO-SUCH", "location_id": 1})]
    )
    assert not unknown.ok and "NO-SUCH" in unknown.error.message  # type: ignore[union-attr]


async def test_creating_a_fulfillment_ships_the_order_with_tracking_once(
    shop: Shop, connector: StorefrontConnector
) -> None:
    order = await open_unfulfilled_order(connector)
    data = {
        "order_id": order,
        "tracking_number": "1Z999AA10123456784",
        "tracking_company": "UPS",
        "tracking_urls": ["https://www.ups.com/track?tracknum=1Z999AA10123456784"],
    }
    [made] = await connector.write([WriteOp(WriteKind.CREATE, "fulfillments", data)])

    assert made.ok and made.created and made.record is not None, made.error
    assert made.record.data["tracking_number"] == "1Z999AA10123456784"
    assert made.record.data["tracking_urls"] == ["https://www.ups.com/track?tracknum=1Z999AA10123456784"]
    doc = order_doc(shop, order)
    assert doc["fulfillment_status"] == "fulfilled" and len(doc["fulfillments"]) == 1

    # Retried (after a crash, say): the fulfillment with that tracking number is found, not made again.
    [again] = await connector.write([WriteOp(WriteKind.CREATE, "fulfillments", data)])
    assert again.ok and not again.created and again.id == made.id
    assert len(order_doc(shop, order)["fulfillments"]) == 1

    new_tracking = {"tracking_number": "1Z999AA10123456785", "tracking_company": "UPS"}
    [moved] = await connector.write([WriteOp(WriteKind.UPDATE, "fulfillments", new_tracking, id=made.id)])
    assert moved.ok and moved.record is not None and moved.record.data["tracking_number"] == "1Z999AA10123456785"


async def test_a_fulfillment_of_part_of_an_order(shop: Shop, connector: StorefrontConnector) -> None:
    orders, _, _ = await drain(connector, "orders")
    order = next(
        r
        for r in orders
        if r.data["fulfillment_status"] is None
        and not r.data["cancelled_at"]
        and sum(li["quantity"] for li in r.data["line_items"] if li["requires_shipping"]) >= 2
    )
    line = next(li for li in order.data["line_items"] if li["requires_shipping"])
    data = {"order_id": order.id, "tracking_number": "PART-1", "line_items": [{"id": line["id"], "quantity": 1}]}
    [made] = await connector.write([WriteOp(WriteKind.CREATE, "fulfillments", data)])
    assert made.ok, made.error
    assert order_doc(shop, order.id)["fulfillment_status"] == "partial"

    nothing = {"order_id": order.id, "line_items": [{"id": 1, "quantity": 1}]}
    [refused] = await connector.write([WriteOp(WriteKind.CREATE, "fulfillments", nothing)])
    assert not refused.ok and isinstance(refused.error, ValidationError)
