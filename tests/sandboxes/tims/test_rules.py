"""Business rules: references, credit, stock, invoices and payments, the general ledger."""

from __future__ import annotations

from decimal import Decimal

import httpx

from tests.sandboxes.tims.conftest import money, new_customer, place_order, stocked_sku


async def test_an_order_for_an_unknown_customer_is_422_naming_it(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/v1/sales-orders", json={"CustomerID": 4242, "Lines": [{"SKU": "OX-40", "Quantity": 1}]})
    assert r.status_code == 422
    assert r.json()["errors"] == [{"field": "CustomerID", "message": r.json()["detail"]}]
    assert "4242" in r.json()["detail"]


async def test_an_order_line_for_an_unknown_item_is_422_naming_it(client: httpx.AsyncClient) -> None:
    customer = await new_customer(client)
    lines = [{"SKU": "OX-40", "Quantity": 1}, {"SKU": "NO-SUCH-SKU", "Quantity": 1}, {"ItemID": 1, "Quantity": 1}]
    r = await client.post("/api/v1/sales-orders", json={"CustomerID": customer["CustomerID"], "Lines": lines})
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["Lines[1].SKU", "Lines[2].ItemID"]
    assert "NO-SUCH-SKU" in r.json()["detail"]


async def test_an_order_over_the_remaining_credit_is_422(client: httpx.AsyncClient) -> None:
    row = await stocked_sku(client)
    price = money((await client.get("/api/v1/items", params={"SKU": row["SKU"]})).json()["data"][0]["UnitPrice"])
    customer = await new_customer(client, CreditLimit=str(price * 3))
    await place_order(client, customer["CustomerID"], row["SKU"], 2)
    r = await client.post(
        "/api/v1/sales-orders",
        json={"CustomerID": customer["CustomerID"], "Lines": [{"SKU": row["SKU"], "Quantity": 2}]},
    )
    assert r.status_code == 422
    assert r.json()["type"].endswith("credit-limit-exceeded")
    assert money(r.json()["availableCredit"]) == price


async def test_open_invoices_count_against_credit(client: httpx.AsyncClient) -> None:
    row = await stocked_sku(client)
    price = money((await client.get("/api/v1/items", params={"SKU": row["SKU"]})).json()["data"][0]["UnitPrice"])
    customer = await new_customer(client, CreditLimit=str(price * 2))
    order = await place_order(client, customer["CustomerID"], row["SKU"], 2)
    await client.post("/api/v1/shipments", json={"SalesOrderID": order["SalesOrderID"]})
    await client.post(
        "/api/v1/invoices", json={"CustomerID": customer["CustomerID"], "SalesOrderID": order["SalesOrderID"]}
    )
    r = await client.post(
        "/api/v1/sales-orders",
        json={"CustomerID": customer["CustomerID"], "Lines": [{"SKU": row["SKU"], "Quantity": 1}]},
    )
    assert r.status_code == 422
    assert money(r.json()["availableCredit"]) == 0


async def test_a_customer_without_a_credit_limit_is_not_limited(client: httpx.AsyncClient) -> None:
    customer = await new_customer(client, CreditLimit=None)
    row = await stocked_sku(client)
    r = await client.post(
        "/api/v1/sales-orders",
        json={"CustomerID": customer["CustomerID"], "Lines": [{"SKU": row["SKU"], "Quantity": 900}]},
    )
    assert r.status_code == 201


async def test_allocating_an_order_holds_its_stock(client: httpx.AsyncClient) -> None:
    customer = await new_customer(client)
    row = await stocked_sku(client)
    order = await place_order(client, customer["CustomerID"], row["SKU"], 4)
    r = await client.patch(f"/api/v1/sales-orders/{order['SalesOrderID']}", json={"OrderStatus": "Allocated"})
    after = (await client.get(f"/api/v1/inventory/{row['SKU']}/MAIN")).json()
    assert r.status_code == 200
    assert (after["OnHand"], after["Allocated"], after["Available"]) == (
        row["OnHand"],
        row["Allocated"] + 4,
        row["Available"] - 4,
    )


async def test_allocating_more_than_is_available_is_422_and_changes_nothing(client: httpx.AsyncClient) -> None:
    customer = await new_customer(client, CreditLimit=None)
    row = await stocked_sku(client)
    order = await place_order(client, customer["CustomerID"], row["SKU"], row["Available"] + 1)
    r = await client.patch(f"/api/v1/sales-orders/{order['SalesOrderID']}", json={"OrderStatus": "Allocated"})
    after = (await client.get(f"/api/v1/inventory/{row['SKU']}/MAIN")).json()
    unchanged = (await client.get(f"/api/v1/sales-orders/{order['SalesOrderID']}")).json()
    assert r.status_code == 422
    assert r.json()["type"].endswith("insufficient-stock")
    assert after == row
    assert unchanged == order


async def test_a_shipment_reduces_on_hand_releases_allocation_and_ships_the_order(client: httpx.AsyncClient) -> None:
    customer = await new_customer(client)
    row = await stocked_sku(client)
    order = await place_order(client, customer["CustomerID"], row["SKU"], 5, OrderStatus="Allocated")
    r = await client.post("/api/v1/shipments", json={"SalesOrderID": order["SalesOrderID"], "Carrier": "UPS"})
    stock = (await client.get(f"/api/v1/inventory/{row['SKU']}/MAIN")).json()
    shipped = (await client.get(f"/api/v1/sales-orders/{order['SalesOrderID']}")).json()
    assert r.status_code == 201
    assert r.json()["Lines"] == [{"LineNo": 1, "ItemID": row["ItemID"], "SKU": row["SKU"], "Quantity": 5}]
    assert (stock["OnHand"], stock["Allocated"]) == (row["OnHand"] - 5, row["Allocated"])
    assert shipped["OrderStatus"] == "Shipped"


async def test_a_short_shipment_ships_only_what_is_named(client: httpx.AsyncClient) -> None:
    customer = await new_customer(client)
    row = await stocked_sku(client)
    order = await place_order(client, customer["CustomerID"], row["SKU"], 5)
    r = await client.post(
        "/api/v1/shipments", json={"SalesOrderID": order["SalesOrderID"], "Lines": [{"LineNo": 1, "Quantity": 3}]}
    )
    stock = (await client.get(f"/api/v1/inventory/{row['SKU']}/MAIN")).json()
    assert r.status_code == 201
    assert stock["OnHand"] == row["OnHand"] - 3


async def test_an_order_cannot_be_marked_shipped_without_a_shipment(client: httpx.AsyncClient) -> None:
    customer = await new_customer(client)
    row = await stocked_sku(client)
    order = await place_order(client, customer["CustomerID"], row["SKU"], 1)
    r = await client.patch(f"/api/v1/sales-orders/{order['SalesOrderID']}", json={"OrderStatus": "Shipped"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "OrderStatus"


async def test_an_order_that_has_shipped_cannot_be_shipped_again(client: httpx.AsyncClient) -> None:
    customer = await new_customer(client)
    row = await stocked_sku(client)
    order = await place_order(client, customer["CustomerID"], row["SKU"], 1)
    await client.post("/api/v1/shipments", json={"SalesOrderID": order["SalesOrderID"]})
    again = await client.post("/api/v1/shipments", json={"SalesOrderID": order["SalesOrderID"]})
    assert again.status_code == 422


async def test_voiding_a_shipment_puts_the_stock_back(client: httpx.AsyncClient) -> None:
    customer = await new_customer(client)
    row = await stocked_sku(client)
    order = await place_order(client, customer["CustomerID"], row["SKU"], 2)
    shipment = (await client.post("/api/v1/shipments", json={"SalesOrderID": order["SalesOrderID"]})).json()
    r = await client.delete(f"/api/v1/shipments/{shipment['ShipmentID']}")
    stock = (await client.get(f"/api/v1/inventory/{row['SKU']}/MAIN")).json()
    reopened = (await client.get(f"/api/v1/sales-orders/{order['SalesOrderID']}")).json()
    assert r.status_code == 204
    assert stock["OnHand"] == row["OnHand"]
    assert reopened["OrderStatus"] == "Open"


async def test_an_adjustment_that_would_make_stock_negative_is_422(client: httpx.AsyncClient) -> None:
    row = await stocked_sku(client)
    body = {"SKU": row["SKU"], "Warehouse": "MAIN", "QuantityDelta": -(row["OnHand"] + 1), "Reason": "Count"}
    r = await client.post("/api/v1/inventory-adjustments", json=body)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "QuantityDelta"


async def test_an_adjustment_changes_on_hand(client: httpx.AsyncClient) -> None:
    row = await stocked_sku(client, warehouse="EAST", minimum=1)
    body = {"SKU": row["SKU"], "Warehouse": "EAST", "QuantityDelta": 12, "Reason": "Returned by customer"}
    r = await client.post("/api/v1/inventory-adjustments", json=body)
    stock = (await client.get(f"/api/v1/inventory/{row['SKU']}/EAST")).json()
    assert r.status_code == 201
    assert (stock["OnHand"], stock["Available"]) == (row["OnHand"] + 12, row["Available"] + 12)


async def test_receiving_a_purchase_order_adds_stock(client: httpx.AsyncClient) -> None:
    vendor = (await client.post("/api/v1/vendors", json={"CompanyName": "Praxair Supply"})).json()
    row = await stocked_sku(client)
    body = {"VendorID": vendor["VendorID"], "Lines": [{"SKU": row["SKU"], "Quantity": 30, "UnitPrice": "20.00"}]}
    po = (await client.post("/api/v1/purchase-orders", json=body)).json()
    r = await client.patch(f"/api/v1/purchase-orders/{po['PurchaseOrderID']}", json={"Status": "Received"})
    stock = (await client.get(f"/api/v1/inventory/{row['SKU']}/MAIN")).json()
    assert r.status_code == 200
    assert stock["OnHand"] == row["OnHand"] + 30


async def _invoice(client: httpx.AsyncClient) -> dict[str, object]:
    customer = await new_customer(client)
    row = await stocked_sku(client)
    order = await place_order(client, customer["CustomerID"], row["SKU"], 3)
    await client.post("/api/v1/shipments", json={"SalesOrderID": order["SalesOrderID"]})
    r = await client.post(
        "/api/v1/invoices", json={"CustomerID": customer["CustomerID"], "SalesOrderID": order["SalesOrderID"]}
    )
    assert r.status_code == 201, r.text
    invoice: dict[str, object] = r.json()
    return invoice


async def test_an_invoice_for_an_order_copies_its_lines_and_marks_it_invoiced(client: httpx.AsyncClient) -> None:
    invoice = await _invoice(client)
    order = (await client.get(f"/api/v1/sales-orders/{invoice['SalesOrderID']}")).json()
    assert invoice["Lines"] == [{**line, "Tax": "0.00"} for line in order["Lines"]]  # an order carries no tax
    assert invoice["Total"] == invoice["Balance"] == order["Total"] and invoice["Tax"] == "0.00"
    assert invoice["PaymentStatus"] == "Unpaid"
    assert order["OrderStatus"] == "Invoiced"


async def test_an_order_that_has_not_shipped_cannot_be_invoiced(client: httpx.AsyncClient) -> None:
    customer = await new_customer(client)
    row = await stocked_sku(client)
    order = await place_order(client, customer["CustomerID"], row["SKU"], 1)
    r = await client.post(
        "/api/v1/invoices", json={"CustomerID": customer["CustomerID"], "SalesOrderID": order["SalesOrderID"]}
    )
    assert r.status_code == 422


async def test_payments_drive_payment_status_and_balance(client: httpx.AsyncClient) -> None:
    invoice = await _invoice(client)
    total = money(str(invoice["Total"]))
    part = (total / 3).quantize(Decimal("0.01"))
    url = f"/api/v1/invoices/{invoice['InvoiceID']}"
    await client.post("/api/v1/payments", json={"InvoiceID": invoice["InvoiceID"], "Amount": str(part)})
    partial = (await client.get(url)).json()
    await client.post("/api/v1/payments", json={"InvoiceID": invoice["InvoiceID"], "Amount": str(total - part)})
    paid = (await client.get(url)).json()
    assert (partial["PaymentStatus"], money(partial["Balance"])) == ("Partial", total - part)
    assert (paid["PaymentStatus"], money(paid["Balance"])) == ("Paid", Decimal("0.00"))


async def test_an_overpayment_is_422_and_records_nothing(client: httpx.AsyncClient) -> None:
    invoice = await _invoice(client)
    too_much = money(str(invoice["Total"])) + Decimal("0.01")
    r = await client.post("/api/v1/payments", json={"InvoiceID": invoice["InvoiceID"], "Amount": str(too_much)})
    payments = (await client.get("/api/v1/payments", params={"InvoiceID": invoice["InvoiceID"]})).json()["total"]
    assert r.status_code == 422
    assert r.json()["type"].endswith("overpayment")
    assert payments == 0


async def test_deleting_a_payment_reopens_the_invoice(client: httpx.AsyncClient) -> None:
    invoice = await _invoice(client)
    payment = (
        await client.post("/api/v1/payments", json={"InvoiceID": invoice["InvoiceID"], "Amount": invoice["Total"]})
    ).json()
    await client.delete(f"/api/v1/payments/{payment['PaymentID']}")
    reopened = (await client.get(f"/api/v1/invoices/{invoice['InvoiceID']}")).json()
    assert (reopened["PaymentStatus"], reopened["Balance"]) == ("Unpaid", invoice["Total"])


async def test_a_payment_in_another_currency_is_422(client: httpx.AsyncClient) -> None:
    invoice = await _invoice(client)
    r = await client.post(
        "/api/v1/payments", json={"InvoiceID": invoice["InvoiceID"], "Amount": "1.00", "Currency": "EUR"}
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "Currency"


def journal(period_date: str, debit: str, credit: str) -> dict[str, object]:
    return {
        "PostingDate": period_date,
        "Lines": [{"Account": "1000", "Debit": debit}, {"Account": "4000", "Credit": credit, "Dimension": "MAIN"}],
    }


async def test_a_balanced_entry_in_an_open_period_posts(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/v1/gl-entries", json=journal("2026-11-20", "125.00", "125.00"))
    assert r.status_code == 201
    assert r.json()["Period"] == "2026-11"


async def test_an_unbalanced_entry_is_422(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/v1/gl-entries", json=journal("2026-11-20", "125.00", "124.99"))
    assert r.status_code == 422
    assert r.json()["type"].endswith("unbalanced-entry")
    assert (r.json()["totalDebit"], r.json()["totalCredit"]) == ("125.00", "124.99")


async def test_posting_to_a_closed_period_is_422(client: httpx.AsyncClient) -> None:
    # The sandbox clock stands at 2026-11-22: periods before October (the previous month) are closed.
    closed = await client.post("/api/v1/gl-entries", json=journal("2026-09-30", "10.00", "10.00"))
    previous_month = await client.post("/api/v1/gl-entries", json=journal("2026-10-01", "10.00", "10.00"))
    assert closed.status_code == 422
    assert closed.json()["type"].endswith("closed-period")
    assert previous_month.status_code == 201


async def test_a_period_that_does_not_match_the_posting_date_is_422(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/v1/gl-entries", json={**journal("2026-11-20", "1.00", "1.00"), "Period": "2026-10"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "Period"


async def test_an_order_for_a_deleted_customer_is_refused_but_old_orders_stay_editable(
    client: httpx.AsyncClient,
) -> None:
    customer = await new_customer(client)
    row = await stocked_sku(client)
    order = await place_order(client, customer["CustomerID"], row["SKU"], 1)
    await client.delete(f"/api/v1/customers/{customer['CustomerID']}")
    new = await client.post(
        "/api/v1/sales-orders",
        json={"CustomerID": customer["CustomerID"], "Lines": [{"SKU": row["SKU"], "Quantity": 1}]},
    )
    cancelled = await client.patch(f"/api/v1/sales-orders/{order['SalesOrderID']}", json={"OrderStatus": "Cancelled"})
    assert new.status_code == 422
    assert new.json()["type"].endswith("inactive-reference")
    assert cancelled.status_code == 200
