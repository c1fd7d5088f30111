"""Order to cash as one workflow over three sandboxes, served as `ferry run` serves it: a storefront order
becomes a Dynamics 365 account and sales order, a TIMS order that is allocated, shipped, invoiced and
paid, and the shop gets its stock level and the tracking number."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from ferry.engine.store.base import Run
from ferry.sandboxes.dynamics365 import Dynamics365Sandbox
from ferry.sandboxes.kit.server import running
from ferry.sandboxes.storefront import ACCESS_TOKEN, CLIENT_SECRET, StorefrontSandbox
from ferry.sandboxes.tims import TimsSandbox
from tests.e2e.conftest import TIMS_KEY, Harness, Systems, eventually, ferry_beside, live

SYNCS = ("customers", "products", "sales-orders", "invoices")
OPTIONS: dict[str, Any] = {"syncs": SYNCS, "workflows": ("order-to-cash",), "poll_seconds": None}
ADDRESS = {
    "first_name": "Dana",
    "last_name": "Whitfield",
    "address1": "12 Harbor St",
    "city": "Columbus",
    "province_code": "OH",
    "zip": "43215",
    "country_code": "US",
}


@pytest.fixture
def shop_systems() -> Iterator[Systems]:
    """Dynamics 365, TIMS and the storefront, without order or invoice history: the orders are the test's."""
    d365 = Dynamics365Sandbox(sizes={"accounts": 10, "vendors": 1, "salesorders": 0, "msdyn_purchaseorders": 0})
    tims = TimsSandbox(sizes={"customers": 5, "vendors": 1, "sales-orders": 0, "purchase-orders": 0, "gl-entries": 0})
    shop = StorefrontSandbox(sizes={"customers": 5, "orders": 0})
    with running(d365) as d365_url, running(tims) as tims_url, running(shop) as shop_url:
        yield Systems(d365, d365_url, tims, tims_url, shop, shop_url)


@pytest.fixture
async def shop_api(shop_systems: Systems) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=f"{shop_systems.shop_url}/admin/api/2025-07/",
        headers={"X-Shopify-Access-Token": ACCESS_TOKEN},
        timeout=30,
    ) as client:
        yield client


async def stocked_variant(h: Harness, shop: httpx.AsyncClient, *, at_least: Decimal = Decimal(0)) -> dict[str, Any]:
    """A variant the shop sells whose SKU Dynamics and TIMS know, with ten in stock in TIMS, priced at
    `at_least` or more."""
    products = (await shop.get("products.json", params={"limit": "250"})).json()["products"]
    for variant in sorted((v for p in products for v in p["variants"]), key=lambda v: Decimal(v["price"])):
        if not variant["sku"] or Decimal(variant["price"]) < at_least:
            continue
        known = (await h.d365.get("products", params={"$filter": f"productnumber eq '{variant['sku']}'"})).json()
        stock = (await h.tims.get("inventory", params={"SKU": variant["sku"], "Warehouse": "MAIN"})).json()["data"]
        if known["value"] and stock and stock[0]["Available"] >= 10:
            return dict(variant)
    raise AssertionError("the sandboxes share no stocked SKU at that price")


async def place_order(
    shop: httpx.AsyncClient, email: str, lines: list[dict[str, Any]], financial_status: str = "paid"
) -> dict[str, Any]:
    """A buyer checks out in the shop (which sends orders/create)."""
    body = {
        "order": {
            "email": email,
            "financial_status": financial_status,
            "line_items": lines,
            "billing_address": ADDRESS,
            "shipping_address": ADDRESS,
        }
    }
    made = await shop.post("orders.json", json=body)
    assert made.status_code == 201, made.text
    return dict(made.json()["order"])


async def run_of(h: Harness, order_id: int, *, state: str | None = None, step: str | None = None) -> Run:
    async def found() -> Run | None:
        run = await h.assembly.store.runs.find("order-to-cash", str(order_id))
        if run is None or (state and run.state != state) or (step and run.step != step):
            return None
        return run

    return await eventually(found, within=90)


async def ship_in_tims(systems: Systems, tims_order: int, tracking: str) -> None:
    """The warehouse ships the order in TIMS."""
    async with httpx.AsyncClient(base_url=f"{systems.tims_url}/api/v1/", headers=TIMS_KEY) as tims:
        shipped = await tims.post(
            "shipments", json={"SalesOrderID": tims_order, "Carrier": "UPS", "TrackingNumber": tracking}
        )
    assert shipped.status_code == 201, shipped.text


async def tims_order_of(h: Harness, run: Run) -> dict[str, Any]:
    order_id = run.steps["tims_order"].output["id"]
    return dict((await h.tims.get(f"sales-orders/{order_id}")).json())


async def retry(h: Harness, run: Run) -> None:
    assert await h.assembly.store.runs.retry(run.id)
    h.engine.runner.wake()


async def test_an_order_travels_from_checkout_to_cash_across_a_restart(
    tmp_path: Path, shop_systems: Systems, shop_api: httpx.AsyncClient
) -> None:
    root = tmp_path / "project"
    async with live(root, shop_systems, **OPTIONS) as h:
        variant = await stocked_variant(h, shop_api)
        before = (await h.tims.get("inventory", params={"SKU": variant["sku"], "Warehouse": "MAIN"})).json()
        lines = [{"variant_id": variant["id"], "quantity": 3}]
        order = await place_order(shop_api, "dana.whitfield@example.com", lines)

        run = await run_of(h, order["id"], state="waiting", step="shipment")
        # The customer and the sales order exist in both systems, with the shop's lines and prices.
        account = run.steps["account"].output
        assert account["emailaddress1"] == "dana.whitfield@example.com"
        assert Decimal(str(account["creditlimit"])) == Decimal("5000")
        customer = (await h.tims.get(f"customers/{run.steps['customer'].output['id']}")).json()
        assert customer["Email"] == "dana.whitfield@example.com" and customer["ExternalID"] == account["id"]
        tims_order = await tims_order_of(h, run)
        assert tims_order["OrderStatus"] == "Allocated"
        assert tims_order["CustomerID"] == customer["CustomerID"]
        assert [(line["SKU"], line["Quantity"]) for line in tims_order["Lines"]] == [(variant["sku"], 3)]
        assert Decimal(tims_order["Total"]) == Decimal(order["subtotal_price"])
        # TIMS holds the stock for the order, and the shop shows what TIMS has left.
        stock = (await h.tims.get("inventory", params={"SKU": variant["sku"], "Warehouse": "MAIN"})).json()["data"][0]
        assert stock["Allocated"] == before["data"][0]["Allocated"] + 3
        level = run.steps["shop_stock"].output[0]
        assert level["available"] == stock["Available"]
        sales_order = run.steps["sales_order"].output
        assert sales_order["name"] == f"{order['name']} (storefront)"

    # ferry stops while the order waits in the warehouse; it ships meanwhile.
    await ship_in_tims(shop_systems, tims_order["SalesOrderID"], "1Z999AA10123456784")

    async with live(root, shop_systems, **OPTIONS) as h:
        run = await run_of(h, order["id"], state="completed")
        # The shop has the tracking number; TIMS invoiced the order and has its payment; Dynamics has the
        # invoice, paid.
        fulfillments = (await shop_api.get(f"orders/{order['id']}/fulfillments.json")).json()["fulfillments"]
        assert [f["tracking_number"] for f in fulfillments] == ["1Z999AA10123456784"]
        invoice = (await h.tims.get(f"invoices/{run.steps['invoice'].output['InvoiceID']}")).json()
        assert invoice["SalesOrderID"] == tims_order["SalesOrderID"] and invoice["PaymentStatus"] == "Paid"
        assert Decimal(invoice["Total"]) == Decimal(order["subtotal_price"])
        d365_invoice = (await h.d365.get(f"invoices({run.steps['d365_invoice'].output['id']})")).json()
        assert d365_invoice["statecode"] == 2  # Paid
        assert Decimal(str(d365_invoice["totalamount"])) == Decimal(order["subtotal_price"])
        # Each step ran once: the restart resumed at the wait, it did not start again.
        assert [s.attempts for s in run.steps.values() if s.state == "done"] == [1] * len(
            [s for s in run.steps.values() if s.state == "done"]
        )
        orders = (await h.d365.get("salesorders", params={"$filter": f"name eq '{order['name']} (storefront)'"})).json()
        assert len(orders["value"]) == 1


async def test_a_webhook_delivered_ten_times_makes_one_order(
    tmp_path: Path, shop_systems: Systems, shop_api: httpx.AsyncClient
) -> None:
    async with live(tmp_path / "project", shop_systems, **OPTIONS) as h:
        assert h.runner is not None
        variant = await stocked_variant(h, shop_api)
        order = await place_order(shop_api, "ten.times@example.com", [{"variant_id": variant["id"], "quantity": 1}])
        body = orjson.dumps(order)
        signature = base64.b64encode(hmac.new(CLIENT_SECRET.encode(), body, hashlib.sha256).digest()).decode()
        async with httpx.AsyncClient() as client:
            for n in range(10):  # each a fresh delivery id, as a shop re-sending by hand would
                answer = await client.post(
                    f"{h.runner.listen.url}/hooks/shop",
                    content=body,
                    headers={
                        "X-Shopify-Topic": "orders/create",
                        "X-Shopify-Hmac-Sha256": signature,
                        "X-Shopify-Webhook-Id": f"replayed-{n}",
                        "Content-Type": "application/json",
                    },
                )
                assert answer.status_code == 200, answer.text
        await run_of(h, order["id"], state="waiting", step="shipment")
        runs = await h.assembly.store.runs.list(workflow="order-to-cash")
        assert [r.key for r in runs] == [str(order["id"])]
        name = f"{order['name']} (storefront)"
        assert len((await h.d365.get("salesorders", params={"$filter": f"name eq '{name}'"})).json()["value"]) == 1
        assert (await h.tims.get("sales-orders")).json()["total"] == 1  # the sandbox starts with none


async def test_an_order_over_the_credit_limit_is_held_and_goes_on_when_the_limit_is_raised(
    tmp_path: Path, shop_systems: Systems, shop_api: httpx.AsyncClient
) -> None:
    async with live(tmp_path / "project", shop_systems, **OPTIONS) as h:
        variant = await stocked_variant(h, shop_api, at_least=Decimal("600"))
        order = await place_order(shop_api, "big.spender@example.com", [{"variant_id": variant["id"], "quantity": 9}])
        assert Decimal(order["subtotal_price"]) > 5000

        run = await run_of(h, order["id"], state="held")
        assert run.step == "tims_order"
        assert "exceeds the remaining credit" in (run.reason or "")
        assert run.steps["sales_order"].state == "done"  # the Dynamics order is kept, not made again

        # Credit control raises the customer's limit in Dynamics; the customers sync takes it to TIMS.
        account_id = run.steps["account"].output["id"]
        raised = await h.d365.patch(f"accounts({account_id})", json={"creditlimit": 50000})
        assert raised.status_code == 204, raised.text
        customer_id = run.steps["customer"].output["id"]

        async def limit_raised() -> bool:
            found = (await h.tims.get(f"customers/{customer_id}")).json()
            return Decimal(found["CreditLimit"]) == Decimal("50000")

        await eventually(limit_raised, within=60)
        await retry(h, run)
        run = await run_of(h, order["id"], state="waiting", step="shipment")
        assert (await tims_order_of(h, run))["OrderStatus"] == "Allocated"
        assert run.steps["sales_order"].attempts == 1
        names = f"{order['name']} (storefront)"
        assert len((await h.d365.get("salesorders", params={"$filter": f"name eq '{names}'"})).json()["value"]) == 1


async def test_a_held_run_is_found_shown_retried_and_cancelled_from_the_command_line(
    tmp_path: Path, shop_systems: Systems, shop_api: httpx.AsyncClient
) -> None:
    root = tmp_path / "project"
    async with live(root, shop_systems, **OPTIONS) as h:
        variant = await stocked_variant(h, shop_api, at_least=Decimal("600"))
        order = await place_order(shop_api, "big.buyer@example.com", [{"variant_id": variant["id"], "quantity": 9}])
        run = await run_of(h, order["id"], state="held")

        listed = await ferry_beside("workflow", "runs", str(root), "--state", "held", "--json")
        assert listed.returncode == 0, listed.stderr
        [held] = json.loads(listed.stdout)
        assert (held["id"], held["key"], held["step"]) == (run.id, str(order["id"]), "tims_order")
        shown = await ferry_beside("workflow", "show", str(run.id), "-p", str(root))
        assert shown.returncode == 0, shown.stderr
        text = " ".join(shown.stdout.split())  # the table wraps long reasons
        assert "exceeds the remaining credit" in text
        assert f"ferry workflow retry {run.id} -p {root}" in text
        detail = json.loads((await ferry_beside("workflow", "show", str(run.id), "-p", str(root), "--json")).stdout)
        steps = {step["step"]: step for step in detail["steps"]}
        assert steps["account"]["state"] == "done" and steps["account"]["output"]["id"]
        assert (
            steps["tims_order"]["state"] == "failed" and "exceeds the remaining credit" in steps["tims_order"]["error"]
        )

        # Retrying before the cause is fixed holds it again at the same step, having repeated nothing else.
        again = await ferry_beside("workflow", "retry", str(run.id), "-p", str(root))
        assert again.returncode == 0, again.stderr
        run = await run_of(h, order["id"], state="held")
        assert run.generation == 1 and run.steps["sales_order"].attempts == 1

        refused = await ferry_beside("workflow", "retry", "999", "-p", str(root))
        assert refused.returncode != 0
        assert "run 999 is unknown" in refused.stderr and "Traceback" not in refused.stderr

        cancelled = await ferry_beside("workflow", "cancel", str(run.id), "-p", str(root), "--reason", "buyer called")
        assert cancelled.returncode == 0, cancelled.stderr
        run = await run_of(h, order["id"], state="cancelled")
        assert "buyer called" in (run.reason or "")
        twice = await ferry_beside("workflow", "cancel", str(run.id), "-p", str(root), "--reason", "again")
        assert twice.returncode != 0 and "cannot be cancelled" in twice.stderr
        summary = await ferry_beside("workflow", "list", str(root))
        assert "cancelled" in summary.stdout and "held" not in summary.stdout


async def test_an_unknown_sku_holds_the_order_with_its_reason_until_the_product_exists(
    tmp_path: Path, shop_systems: Systems, shop_api: httpx.AsyncClient
) -> None:
    async with live(tmp_path / "project", shop_systems, **OPTIONS) as h:
        line = {"title": "Welding blanket 6x6", "price": "89.50", "quantity": 2, "sku": "WB-6X6"}
        order = await place_order(shop_api, "new.line@example.com", [line])

        run = await run_of(h, order["id"], state="held")
        assert run.step == "products"
        assert run.reason == (
            f"products: unknown SKU WB-6X6 on order {order['name']} (line 1): "
            "add the product in Dynamics 365, then retry the run"
        )
        assert "sales_order" not in run.steps  # nothing was written for it

        # The product is added in Dynamics (the products sync makes the TIMS item), and stock arrives.
        like = (await h.d365.get("products", params={"$top": "1"})).json()["value"][0]
        made = await h.d365.post(
            "products",
            json={
                "name": "Welding blanket 6x6",
                "productnumber": "WB-6X6",
                "price": 89.5,
                "quantitydecimal": 0,
                "defaultuomid@odata.bind": f"/uoms({like['_defaultuomid_value']})",
                "defaultuomscheduleid@odata.bind": f"/uomschedules({like['_defaultuomscheduleid_value']})",
            },
        )
        assert made.status_code == 204, made.text

        async def item() -> dict[str, Any] | None:
            found = (await h.tims.get("items", params={"SKU": "WB-6X6"})).json()["data"]
            return found[0] if found else None

        await eventually(item, within=60)
        adjusted = await h.tims.post(
            "inventory-adjustments",
            json={"SKU": "WB-6X6", "Warehouse": "MAIN", "QuantityDelta": 20, "Reason": "Receipt"},
        )
        assert adjusted.status_code == 201, adjusted.text
        await retry(h, run)
        run = await run_of(h, order["id"], state="waiting", step="shipment")
        tims_order = await tims_order_of(h, run)
        assert [(ln["SKU"], ln["Quantity"]) for ln in tims_order["Lines"]] == [("WB-6X6", 2)]


async def test_a_backorder_waits_for_stock_and_goes_on_when_tims_receives_it(
    tmp_path: Path, shop_systems: Systems, shop_api: httpx.AsyncClient
) -> None:
    async with live(tmp_path / "project", shop_systems, **OPTIONS) as h:
        variant = await stocked_variant(h, shop_api)
        stock = (await h.tims.get(f"inventory/{variant['sku']}/MAIN")).json()
        wanted = stock["Available"] + 2
        order = await place_order(
            shop_api, "back.order@example.com", [{"variant_id": variant["id"], "quantity": wanted}]
        )

        run = await run_of(h, order["id"], state="waiting", step="in_stock")
        assert (await tims_order_of(h, run))["OrderStatus"] == "Open"  # nothing allocated, nothing refused
        assert "allocate" not in run.steps

        # A receipt in TIMS: its webhook wakes the order, which is allocated without waiting out `every`.
        received = await h.tims.post(
            "inventory-adjustments",
            json={"SKU": variant["sku"], "Warehouse": "MAIN", "QuantityDelta": 5, "Reason": "Receipt"},
        )
        assert received.status_code == 201, received.text
        run = await run_of(h, order["id"], state="waiting", step="shipment")
        assert (await tims_order_of(h, run))["OrderStatus"] == "Allocated"
        assert run.steps["shop_stock"].output[0]["available"] == 3  # what is left after this order


async def test_a_checkout_without_an_email_gets_an_account_of_its_own(
    tmp_path: Path, shop_systems: Systems, shop_api: httpx.AsyncClient
) -> None:
    async with live(tmp_path / "project", shop_systems, **OPTIONS) as h:
        variant = await stocked_variant(h, shop_api)
        lines = [{"variant_id": variant["id"], "quantity": 1}]
        first = await place_order(shop_api, "", lines)
        second = await place_order(shop_api, "", lines)

        runs = [await run_of(h, o["id"], state="waiting", step="shipment") for o in (first, second)]
        accounts = [run.steps["guest_account"].output for run in runs]
        assert [a["accountnumber"] for a in accounts] == [f"SF-O{first['id']}", f"SF-O{second['id']}"]
        assert all(a.get("emailaddress1") is None and a["name"] == "Dana Whitfield" for a in accounts)
        assert all(run.steps["account"].state == "skipped" for run in runs)
        # Two guests are two customers, not one merged on an empty email.
        customers = {run.steps["customer"].output["id"] for run in runs}
        assert len(customers) == 2
        for customer_id in customers:
            assert (await h.tims.get(f"customers/{customer_id}")).json()["Email"] in (None, "")


async def test_an_order_reaches_cash_once_through_errors_cut_connections_and_duplicate_webhooks(
    tmp_path: Path, shop_systems: Systems, shop_api: httpx.AsyncClient
) -> None:
    async with live(tmp_path / "project", shop_systems, **OPTIONS) as h:

        async def rough(on: bool) -> None:
            """Every system fails some calls, cuts some answers after doing the work, and sends some
            webhooks twice (off while the test itself acts as the shop's buyer or the warehouse)."""
            share = 1.0 if on else 0.0
            faults = {
                "error_rate": 0.15 * share,
                "drop_connections_rate": 0.1 * share,
                "webhook_duplicate_rate": share / 2,
            }
            for system in ("d365", "tims", "shop"):
                r = await h.control[system].post("/_sandbox/faults", json=faults)
                assert r.status_code == 200, r.text

        variant = await stocked_variant(h, shop_api)
        order = await place_order(shop_api, "rough.day@example.com", [{"variant_id": variant["id"], "quantity": 2}])
        await rough(True)
        run = await run_of(h, order["id"], state="waiting", step="shipment")
        await rough(False)
        tims_order = await tims_order_of(h, run)
        await ship_in_tims(shop_systems, tims_order["SalesOrderID"], "1Z999AA10123456785")
        await rough(True)
        run = await run_of(h, order["id"], state="completed")
        await rough(False)

        # One of everything, whatever was retried.
        name = f"{order['name']} (storefront)"
        assert len((await h.d365.get("salesorders", params={"$filter": f"name eq '{name}'"})).json()["value"]) == 1
        account = run.steps["account"].output["id"]
        assert len((await h.tims.get("customers", params={"ExternalID": account})).json()["data"]) == 1
        same = (await h.tims.get("sales-orders", params={"ExternalID": tims_order["ExternalID"]})).json()["data"]
        assert len(same) == 1
        invoices = (await h.tims.get("invoices", params={"SalesOrderID": str(tims_order["SalesOrderID"])})).json()
        assert [i["PaymentStatus"] for i in invoices["data"]] == ["Paid"]
        payments = (await h.tims.get("payments", params={"InvoiceID": str(invoices["data"][0]["InvoiceID"])})).json()
        assert len(payments["data"]) == 1
        fulfillments = (await shop_api.get(f"orders/{order['id']}/fulfillments.json")).json()["fulfillments"]
        assert [f["tracking_number"] for f in fulfillments] == ["1Z999AA10123456785"]
