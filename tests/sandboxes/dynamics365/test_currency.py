"""Multi-currency records as Dataverse keeps them: the currency's rate stamped on the record, base amounts
derived from it, and the columns a tenant adds for the rate of the document's own date."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

from ferry.sandboxes.kit import dumps

REPRESENT = {"Prefer": "return=representation"}
GBP = "/transactioncurrencies(isocurrencycode='GBP')"


async def an_account(api: httpx.AsyncClient) -> str:
    rows = (await api.get("accounts", params={"$top": "1", "$select": "accountid"})).json()["value"]
    return str(rows[0]["accountid"])


async def a_product(api: httpx.AsyncClient) -> dict[str, Any]:
    rows = (await api.get("products", params={"$top": "1", "$filter": "statecode eq 0"})).json()["value"]
    return dict(rows[0])


async def gbp_invoice(api: httpx.AsyncClient, **extra: Any) -> dict[str, Any]:
    account, product = await an_account(api), await a_product(api)
    body = {
        "name": "Cylinders, November",
        "customerid_account@odata.bind": f"/accounts({account})",
        "transactioncurrencyid@odata.bind": GBP,
        "invoice_details": [
            {
                "productid@odata.bind": f"/products({product['productid']})",
                "uomid@odata.bind": f"/uoms({product['_defaultuomid_value']})",
                "quantity": 3,
                "priceperunit": Decimal("333.33"),
            }
        ],
        **extra,
    }
    r = await api.post("invoices", content=dumps(body), headers={**REPRESENT, "Content-Type": "application/json"})
    assert r.status_code == 201, r.text
    return dict((await api.get(f"invoices({r.json()['invoiceid']})")).json())


async def test_a_record_carries_its_currencys_rate_and_base_amounts_derived_from_it(api: httpx.AsyncClient) -> None:
    invoice = await gbp_invoice(api)
    assert Decimal(str(invoice["exchangerate"])) == Decimal("0.79")  # the seeded GBP currency's rate
    assert Decimal(str(invoice["totalamount"])) == Decimal("999.99")
    # 999.99 GBP / 0.79 GBP per USD = 1265.8101... USD
    assert Decimal(str(invoice["totalamount_base"])) == Decimal("1265.81")
    assert Decimal(str(invoice["totallineitemamount_base"])) == Decimal("1265.81")


async def test_a_client_cannot_set_the_exchange_rate(api: httpx.AsyncClient) -> None:
    invoice = await gbp_invoice(api, exchangerate=Decimal("0.5"))
    assert Decimal(str(invoice["exchangerate"])) == Decimal("0.79")  # ignored, as Dataverse ignores it
    r = await api.patch(f"invoices({invoice['invoiceid']})", json={"exchangerate": 2})
    assert r.status_code == 204
    again = (await api.get(f"invoices({invoice['invoiceid']})")).json()
    assert Decimal(str(again["exchangerate"])) == Decimal("0.79")


async def test_a_new_currency_rate_reaches_new_records_only(api: httpx.AsyncClient) -> None:
    before = await gbp_invoice(api)
    r = await api.patch("transactioncurrencies(isocurrencycode='GBP')", json={"exchangerate": 0.8})
    assert r.status_code == 204, r.text
    after = await gbp_invoice(api)
    assert Decimal(str(after["exchangerate"])) == Decimal("0.8")
    # A state change is no money change: the older invoice keeps the rate it was stamped with.
    await api.patch(f"invoices({before['invoiceid']})", json={"duedate": "2026-12-31"})
    kept = (await api.get(f"invoices({before['invoiceid']})")).json()
    assert Decimal(str(kept["exchangerate"])) == Decimal("0.79")
    assert Decimal(str(kept["totalamount_base"])) == Decimal("1265.81")


async def test_the_rate_table_columns_are_the_tenants_own(api: httpx.AsyncClient) -> None:
    invoice = await gbp_invoice(
        api, new_fxrate=Decimal("0.7905"), new_fxratedate="2026-11-28", new_fxbasetotal=Decimal("1265.01")
    )
    assert Decimal(str(invoice["new_fxrate"])) == Decimal("0.7905")
    assert invoice["new_fxratedate"] == "2026-11-28"
    assert Decimal(str(invoice["new_fxbasetotal"])) == Decimal("1265.01")
    path = "EntityDefinitions(LogicalName='invoice')/Attributes"
    attributes = (await api.get(path, params={"$select": "LogicalName,IsCustomAttribute,IsValidForCreate"})).json()
    by_name = {a["LogicalName"]: a for a in attributes["value"]}
    assert by_name["new_fxratedate"]["IsCustomAttribute"] is True
    assert by_name["name"]["IsCustomAttribute"] is False
    assert by_name["exchangerate"]["IsValidForCreate"] is False
