"""The seeded Dataverse environment: the same seed always gives the same rows, ids and versions.

Accounts are the first 300 companies of the shared world (the TIMS sandbox holds companies 100-399,
so 200 customers exist in both systems unlinked, as they would before a first sync).
"""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ferry.sandboxes.dynamics365.store import Ref, Row
from ferry.sandboxes.dynamics365.writes import base_amounts
from ferry.sandboxes.kit.world import Company, Person, World

if TYPE_CHECKING:
    from ferry.sandboxes.dynamics365.service import DataverseService

NAMESPACE = uuid.UUID("3b1f2c4e-9a7d-4e1b-8f3a-6c5d2e1f0a9b")
DEFAULT_SIZES = {"accounts": 300, "vendors": 30, "salesorders": 120, "msdyn_purchaseorders": 20}
CURRENCIES = (
    ("USD", "US Dollar", "$", "1.0"),
    ("GBP", "Pound Sterling", "£", "0.79"),
    ("CAD", "Canadian Dollar", "CA$", "1.36"),
    ("EUR", "Euro", "€", "0.92"),
    ("AUD", "Australian Dollar", "A$", "1.52"),
)
UNITS = {"EA": "Each", "CYL": "Cylinder", "SPL": "Spool", "BOX": "Box", "PR": "Pair"}
WAREHOUSES = (("MAIN", "Main warehouse, Billings MT"), ("EAST", "East distribution centre, Columbus OH"))
INDUSTRY_BY_TRADE = {"Brewing": 17, "Construction": 28, "Marine": 19, "Auto": 32, "Pipeline": 24}
_CENTS = Decimal("0.01")


def seeded_id(seed: int, *parts: object) -> str:
    return str(uuid.uuid5(NAMESPACE, ":".join(str(p) for p in (seed, *parts))))


class Seeder:
    def __init__(
        self, svc: DataverseService, seed: int, sizes: dict[str, int] | None, app_user: str, client_id: str
    ) -> None:
        self.svc = svc
        self.seed = seed
        self.sizes = {**DEFAULT_SIZES, **(sizes or {})}
        self.random = random.Random(seed)
        self.world = World.for_seed(seed)
        self.now = svc.clock.now().replace(microsecond=0)
        self.app_user = Ref("systemuser", app_user)
        self.client_id = client_id
        self.system = Ref("systemuser", seeded_id(seed, "systemuser", "SYSTEM"))

    def run(self) -> None:
        self._users()
        self._currencies_units_prices()
        self._registration_messages()
        accounts = self._accounts()
        vendors = self._vendors()
        products = self._products()
        self._inventory(products)
        self._orders(accounts, products)
        self._purchase_orders(vendors, products)

    # --- helpers ---------------------------------------------------------------------------------

    def put(
        self,
        table: str,
        values: dict[str, Any],
        *,
        created: datetime | None = None,
        modified: datetime | None = None,
        by: Ref | None = None,
    ) -> Row:
        t = self.svc.tables[table]
        row: Row = {c: None for c in t.columns}
        row.update(values)
        created = created or self.now - timedelta(days=400)
        row.setdefault("createdon", created)
        row["createdon"] = row["createdon"] or created
        row["modifiedon"] = modified or created
        row["createdby"] = row["modifiedby"] = by or self.system
        if "ownerid" in t.columns and row.get("ownerid") is None:
            row["ownerid"] = by or self.system
        if "transactioncurrencyid" in t.columns and row.get("transactioncurrencyid") is None:
            row["transactioncurrencyid"] = self.svc.base_currency
            row["exchangerate"] = Decimal(1)
        currency = row.get("transactioncurrencyid")
        if "exchangerate" in t.columns and row.get("exchangerate") is None and isinstance(currency, Ref):
            row["exchangerate"] = (self.svc.store.get(currency.table, currency.id) or {}).get("exchangerate")
        state = t.columns.get("statecode")
        if state is not None and row.get("statecode") is None:
            row["statecode"] = state.options[0].value
            row["statuscode"] = state.options[0].default_status
        self.svc.writer._derive(t, row)
        row["versionnumber"] = self.svc.store.next_version()
        self.svc.store.put(table, row)
        return row

    def when(self, days_back: int = 400) -> tuple[datetime, datetime]:
        created = self.now - timedelta(days=self.random.uniform(20, days_back), seconds=self.random.randrange(86400))
        modified = created + (self.now - created) * self.random.random() ** 2
        return created.replace(microsecond=0), modified.replace(microsecond=0)

    # --- reference data ----------------------------------------------------------------------------

    def _users(self) -> None:
        self.put(
            "systemuser",
            {"systemuserid": self.system.id, "firstname": "SYSTEM", "domainname": "SYSTEM", "isdisabled": False},
        )
        self.put(
            "systemuser",
            {
                "systemuserid": self.app_user.id,
                "firstname": "#",
                "lastname": "ferry integration",
                "applicationid": self.client_id,
                "domainname": f"{self.client_id}@ferry.sandbox",
                "isdisabled": False,
                "azureactivedirectoryobjectid": self.svc.organization["app_oid"],
            },
        )
        self.reps = []
        for n in range(5):
            p = self.world.person("US", "ferry-demo.com", n)
            rep = self.put(
                "systemuser",
                {
                    "systemuserid": seeded_id(self.seed, "systemuser", n),
                    "firstname": p.first_name,
                    "lastname": p.last_name,
                    "internalemailaddress": p.email,
                    "domainname": p.email,
                    "isdisabled": False,
                },
            )
            self.reps.append(Ref("systemuser", rep["systemuserid"]))

    def _currencies_units_prices(self) -> None:
        self.currency: dict[str, Ref] = {}
        for code, name, symbol, rate in CURRENCIES:
            row_id = self.svc.base_currency.id if code == "USD" else seeded_id(self.seed, "currency", code)
            self.put(
                "transactioncurrency",
                {
                    "transactioncurrencyid": row_id,
                    "isocurrencycode": code,
                    "currencyname": name,
                    "currencysymbol": symbol,
                    "exchangerate": Decimal(rate),
                    "currencyprecision": 2,
                },
            )
            self.currency[code] = Ref("transactioncurrency", row_id)
        # Units are an organisation's configuration, not its data: their ids stay the same whatever
        # the seed, so a project can name them (a real organisation's are found with GET /uoms).
        schedule = seeded_id(0, "uomschedule", "default")
        self.put("uomschedule", {"uomscheduleid": schedule, "name": "Default Unit", "baseuomname": "Primary Unit"})
        self.schedule = Ref("uomschedule", schedule)
        self.units: dict[str, Ref] = {}
        for code, name in UNITS.items():
            row_id = seeded_id(0, "uom", code)
            self.put(
                "uom",
                {
                    "uomid": row_id,
                    "name": name,
                    "uomscheduleid": self.schedule,
                    "quantity": Decimal(1),
                    "isschedulebaseuom": code == "EA",
                },
            )
            self.units[code] = Ref("uom", row_id)
        price_list = seeded_id(self.seed, "pricelevel", "default")
        self.put(
            "pricelevel",
            {"pricelevelid": price_list, "name": "Default Price List (USD)", "begindate": date(2024, 1, 1)},
        )
        self.price_list = Ref("pricelevel", price_list)
        for code, description in WAREHOUSES:
            self.put(
                "msdyn_warehouse",
                {
                    "msdyn_warehouseid": seeded_id(self.seed, "warehouse", code),
                    "msdyn_name": code,
                    "msdyn_description": description,
                },
            )

    def _registration_messages(self) -> None:
        for message in ("Create", "Update", "Delete", "Assign", "SetState", "Retrieve", "RetrieveMultiple"):
            message_id = seeded_id(self.seed, "sdkmessage", message)
            self.put("sdkmessage", {"sdkmessageid": message_id, "name": message})
            for table in self.svc.tables.values():
                if not table.change_tracking:
                    continue
                self.put(
                    "sdkmessagefilter",
                    {
                        "sdkmessagefilterid": seeded_id(self.seed, "sdkmessagefilter", message, table.logical_name),
                        "name": f"{message} {table.logical_name}",
                        "sdkmessageid": Ref("sdkmessage", message_id),
                        "primaryobjecttypecode": table.logical_name,
                        "secondaryobjecttypecode": "none",
                        "iscustomprocessingstepallowed": True,
                    },
                )

    # --- business data ---------------------------------------------------------------------------

    def _account_values(self, company: Company, row_id: str, vendor: bool) -> dict[str, Any]:
        a = company.address
        return {
            "accountid": row_id,
            "name": company.name,
            "accountnumber": company.account_number,
            "telephone1": company.phone,
            "emailaddress1": company.email,
            "websiteurl": company.website,
            "address1_line1": a.line1,
            "address1_line2": a.line2,
            "address1_city": a.city,
            "address1_stateorprovince": a.state,
            "address1_postalcode": a.postal_code,
            "address1_country": a.country,
            "address1_addresstypecode": 3,
            "creditlimit": company.credit_limit,
            "creditonhold": self.random.random() < 0.03,
            "revenue": company.annual_revenue,
            "numberofemployees": company.employees,
            "customertypecode": 11 if vendor else 3,
            "paymenttermscode": {"NET30": 1, "NET60": 4}.get(company.payment_terms),
            "industrycode": next((v for k, v in INDUSTRY_BY_TRADE.items() if k in company.name), 12),
            "transactioncurrencyid": self.currency[company.currency],
            "exchangerate": Decimal(next(r for c, _n, _s, r in CURRENCIES if c == company.currency)),
        }

    def _accounts(self) -> list[Row]:
        rows = []
        for company in self.world.companies(self.sizes["accounts"]):
            row_id = seeded_id(self.seed, "account", company.index)
            created, modified = self.when()
            owner = self.random.choice(self.reps)
            values = self._account_values(company, row_id, vendor=False)
            values["ownerid"] = owner
            if self.random.random() < 0.04:
                values.update(statecode=1, statuscode=2)
            contacts = [self._contact(person, row_id, company, n, created) for n, person in enumerate(company.contacts)]
            if contacts:
                values["primarycontactid"] = Ref("contact", contacts[0]["contactid"])
            rows.append(self.put("account", values, created=created, modified=modified, by=owner))
        return rows

    def _contact(self, person: Person, account_id: str, company: Company, n: int, created: datetime) -> Row:
        a = company.address
        row_id = seeded_id(self.seed, "contact", company.index, n)
        values = {
            "contactid": row_id,
            "firstname": person.first_name,
            "lastname": person.last_name,
            "emailaddress1": person.email,
            "telephone1": person.phone,
            "mobilephone": person.mobile,
            "jobtitle": person.job_title,
            "parentcustomerid": Ref("account", account_id),
            "address1_line1": a.line1,
            "address1_city": a.city,
            "address1_stateorprovince": a.state,
            "address1_postalcode": a.postal_code,
            "address1_country": a.country,
            "preferredcontactmethodcode": 2 if person.email else 3,
        }
        return self.put("contact", values, created=created, modified=created + timedelta(minutes=5))

    def _vendors(self) -> list[Row]:
        rows = []
        for company in self.world.vendors(self.sizes["vendors"]):
            row_id = seeded_id(self.seed, "vendor", company.index)
            created, modified = self.when()
            rows.append(
                self.put(
                    "account", self._account_values(company, row_id, vendor=True), created=created, modified=modified
                )
            )
        return rows

    def _products(self) -> list[Row]:
        rows = []
        for product in self.world.products:
            created, modified = self.when(700)
            values = {
                "productid": seeded_id(self.seed, "product", product.sku),
                "productnumber": product.sku,
                "name": product.name,
                "description": product.description,
                "price": product.unit_price,
                "standardcost": product.standard_cost,
                "currentcost": product.standard_cost,
                "stockweight": product.weight_kg,
                "quantitydecimal": 0,
                "productstructure": 1,
                "producttypecode": 1,
                "defaultuomscheduleid": self.schedule,
                "defaultuomid": self.units[product.unit_of_measure],
                "pricelevelid": self.price_list,
                "vendorname": product.category,
            }
            if not product.active:
                values.update(statecode=1, statuscode=2)
            rows.append(self.put("product", values, created=created, modified=modified))
        return rows

    def _inventory(self, products: list[Row]) -> None:
        for product in products:
            if product["statecode"] != 0:
                continue
            for code, _description in WAREHOUSES:
                onhand = Decimal(self.random.choice((0, 4, 12, 25, 40, 60, 120, 300)))
                allocated = min(onhand, Decimal(self.random.choice((0, 0, 0, 2, 5, 10))))
                warehouse = Ref("msdyn_warehouse", seeded_id(self.seed, "warehouse", code))
                created, modified = self.when(200)
                self.put(
                    "msdyn_productinventory",
                    {
                        "msdyn_productinventoryid": seeded_id(self.seed, "inventory", product["productnumber"], code),
                        "msdyn_name": f"{product['productnumber']} @ {code}",
                        "msdyn_product": Ref("product", product["productid"]),
                        "msdyn_warehouse": warehouse,
                        "msdyn_unit": product["defaultuomid"],
                        "msdyn_qtyonhand": onhand,
                        "msdyn_qtyallocated": allocated,
                        "msdyn_qtyonorder": Decimal(0),
                        "msdyn_reorderpoint": Decimal(10),
                    },
                    created=created,
                    modified=modified,
                )
                self.put(
                    "msdyn_inventoryonhandentry",
                    {
                        "msdyn_inventoryonhandentryid": seeded_id(self.seed, "onhand", product["productnumber"], code),
                        "msdyn_name": f"{product['productnumber']} {code}",
                        "msdyn_itemnumber": product["productnumber"],
                        "msdyn_inventorysiteid": "1",
                        "msdyn_inventorywarehouseid": code,
                        "msdyn_company": "USMF",
                        "msdyn_product": Ref("product", product["productid"]),
                        "msdyn_onhandquantity": onhand,
                        "msdyn_reservedonhandquantity": allocated,
                        "msdyn_availableonhandquantity": onhand - allocated,
                        "msdyn_orderedquantity": Decimal(0),
                        "msdyn_onorderquantity": Decimal(0),
                        "msdyn_reservedorderedquantity": Decimal(0),
                        "msdyn_totalavailablequantity": onhand - allocated,
                    },
                    created=created,
                    modified=modified,
                )

    def _lines(self, table: str, parent_column: str, parent: Ref, products: list[Row], when: datetime) -> list[Row]:
        lines = []
        active = [p for p in products if p["statecode"] == 0]
        for n, product in enumerate(self.random.sample(active, self.random.randint(1, 4)), start=1):
            quantity = Decimal(self.random.choice((1, 1, 2, 3, 5, 10, 24)))
            discount = Decimal("0") if self.random.random() < 0.8 else (product["price"] * quantity * Decimal("0.05"))
            lines.append(
                self.put(
                    table,
                    {
                        f"{table}id": seeded_id(self.seed, table, parent.id, n),
                        parent_column: parent,
                        "productid": Ref("product", product["productid"]),
                        "uomid": product["defaultuomid"],
                        "quantity": quantity,
                        "priceperunit": product["price"],
                        "ispriceoverridden": False,
                        "isproductoverridden": False,
                        "manualdiscountamount": discount.quantize(_CENTS),
                        "tax": (product["price"] * quantity * Decimal("0.07")).quantize(_CENTS),
                        "lineitemnumber": n,
                    },
                    created=when,
                    modified=when,
                )
            )
        return lines

    def _orders(self, accounts: list[Row], products: list[Row]) -> None:
        statuses = ((0, 1), (0, 2), (1, 3), (3, 100001), (3, 100002), (4, 100003), (2, 4))
        weights = (20, 5, 20, 25, 5, 20, 5)
        active = [a for a in accounts if a["statecode"] == 0]
        for n in range(self.sizes["salesorders"]):
            account = self.random.choice(active)
            created, modified = self.when(300)
            state, status = self.random.choices(statuses, weights)[0]
            order_id = seeded_id(self.seed, "salesorder", n)
            order = Ref("salesorder", order_id)
            values: dict[str, Any] = {
                "salesorderid": order_id,
                "ordernumber": f"ORD-{1001 + n:05d}",
                "name": f"Order for {account['name'].strip()}",
                "customerid": Ref("account", account["accountid"]),
                "transactioncurrencyid": account.get("transactioncurrencyid"),  # orders in the customer's currency
                "pricelevelid": self.price_list,
                "freightamount": Decimal(self.random.choice((0, 0, 25, 45, 95))),
                "discountamount": Decimal(0),
                "requestdeliveryby": (created + timedelta(days=self.random.randint(3, 21))).date(),
                "shipto_name": account["name"].strip(),
                "shipto_line1": account["address1_line1"],
                "shipto_city": account["address1_city"],
                "shipto_stateorprovince": account["address1_stateorprovince"],
                "shipto_postalcode": account["address1_postalcode"],
                "shipto_country": account["address1_country"],
                "paymenttermscode": account.get("paymenttermscode"),
                "statecode": state,
                "statuscode": status,
                "ownerid": account["ownerid"],
            }
            if state >= 1:
                values["submitdate"] = (created + timedelta(days=1)).date()
            if state >= 3:
                values["datefulfilled"] = (created + timedelta(days=self.random.randint(2, 10))).date()
            self.put("salesorder", values, created=created, modified=modified, by=account["ownerid"])
            lines = self._lines("salesorderdetail", "salesorderid", order, products, created)
            self._totals("salesorder", order_id, lines)
            if state == 4 or (state == 3 and self.random.random() < 0.5):
                self._invoice(n, values, lines, products, created, modified)

    def _totals(self, table: str, row_id: str, lines: list[Row]) -> None:
        row = self.svc.store.get(table, row_id)
        assert row is not None
        row["totallineitemamount"] = sum((line["extendedamount"] for line in lines), Decimal(0))
        row["totaltax"] = sum((line["tax"] or Decimal(0) for line in lines), Decimal(0))
        row["totaldiscountamount"] = sum((line["manualdiscountamount"] or Decimal(0) for line in lines), Decimal(0))
        row["totalamount"] = (row["totallineitemamount"] + (row.get("freightamount") or 0)).quantize(_CENTS)
        base_amounts(self.svc.tables[table], row)

    def _invoice(
        self,
        n: int,
        order: dict[str, Any],
        order_lines: list[Row],
        products: list[Row],
        created: datetime,
        modified: datetime,
    ) -> None:
        invoice_id = seeded_id(self.seed, "invoice", n)
        paid = self.random.random() < 0.6
        delivered = order.get("datefulfilled") or created.date()
        self.put(
            "invoice",
            {
                "invoiceid": invoice_id,
                "invoicenumber": f"INV-{1001 + n:05d}",
                "name": order["name"].replace("Order", "Invoice"),
                "customerid": order["customerid"],
                "salesorderid": Ref("salesorder", order["salesorderid"]),
                "pricelevelid": self.price_list,
                "freightamount": order["freightamount"],
                "discountamount": Decimal(0),
                "datedelivered": delivered,
                "duedate": delivered + timedelta(days=30),
                "statecode": 2 if paid else 0,
                "statuscode": 100001 if paid else 4,
                "ownerid": order["ownerid"],
            },
            created=modified,
            modified=modified,
        )
        lines = []
        for m, line in enumerate(order_lines, start=1):
            lines.append(
                self.put(
                    "invoicedetail",
                    {
                        "invoicedetailid": seeded_id(self.seed, "invoicedetail", invoice_id, m),
                        "invoiceid": Ref("invoice", invoice_id),
                        "productid": line["productid"],
                        "uomid": line["uomid"],
                        "quantity": line["quantity"],
                        "priceperunit": line["priceperunit"],
                        "ispriceoverridden": False,
                        "isproductoverridden": False,
                        "manualdiscountamount": line["manualdiscountamount"],
                        "tax": line["tax"],
                        "lineitemnumber": m,
                    },
                    created=modified,
                    modified=modified,
                )
            )
        self._totals("invoice", invoice_id, lines)

    def _purchase_orders(self, vendors: list[Row], products: list[Row]) -> None:
        for n in range(self.sizes["msdyn_purchaseorders"]):
            vendor = self.random.choice(vendors)
            created, modified = self.when(120)
            po_id = seeded_id(self.seed, "purchaseorder", n)
            status = self.random.choice((690970000, 690970001, 690970001, 690970003, 690970004))
            self.put(
                "msdyn_purchaseorder",
                {
                    "msdyn_purchaseorderid": po_id,
                    "msdyn_name": f"PO-{5001 + n:05d}",
                    "msdyn_vendor": Ref("account", vendor["accountid"]),
                    "msdyn_purchaseorderdate": created.date(),
                    "msdyn_dateexpected": (created + timedelta(days=14)).date(),
                    "msdyn_receivetowarehouse": Ref("msdyn_warehouse", seeded_id(self.seed, "warehouse", "MAIN")),
                    "msdyn_systemstatus": status,
                    "msdyn_approvalstatus": 690970000 if status != 690970000 else None,
                },
                created=created,
                modified=modified,
            )
            total = Decimal(0)
            for m, product in enumerate(self.random.sample([p for p in products if p["statecode"] == 0], 3), start=1):
                line = self.put(
                    "msdyn_purchaseorderproduct",
                    {
                        "msdyn_purchaseorderproductid": seeded_id(self.seed, "poproduct", po_id, m),
                        "msdyn_name": product["name"],
                        "msdyn_purchaseorder": Ref("msdyn_purchaseorder", po_id),
                        "msdyn_product": Ref("product", product["productid"]),
                        "msdyn_unit": product["defaultuomid"],
                        "msdyn_quantity": Decimal(self.random.choice((10, 20, 50, 100))),
                        "msdyn_unitcost": product["standardcost"],
                        "msdyn_itemstatus": 690970001 if status in (690970003, 690970004) else 690970000,
                    },
                    created=created,
                    modified=created,
                )
                total += line["msdyn_totalcost"]
            po = self.svc.store.get("msdyn_purchaseorder", po_id)
            assert po is not None
            po["msdyn_totalamount"] = total
