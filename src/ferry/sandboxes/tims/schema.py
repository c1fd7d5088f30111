"""The collections TIMS serves and the fields of each (the table in `specs/tims-api.md`).

Fields the contract leaves open are filled in here the way an ERP would (an order's `Warehouse`, a
line's computed `LineTotal`); `docs/sandboxes/tims.md` lists every such choice.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ferry.sandboxes.tims.fields import (
    Day,
    Field,
    FieldErrors,
    Fields,
    Flag,
    Integer,
    ListOf,
    Money,
    Nested,
    Text,
    Timestamp,
    parse_fields,
    render_fields,
)

WAREHOUSES = ("MAIN", "EAST")
PAYMENT_TERMS = ("NET15", "NET30", "NET60", "DUE_ON_RECEIPT")
TERM_DAYS = {"NET15": 15, "NET30": 30, "NET60": 60, "DUE_ON_RECEIPT": 0}
ORDER_STATUSES = ("Open", "Allocated", "Shipped", "Invoiced", "Closed", "Cancelled")
PO_STATUSES = ("Open", "Received", "Cancelled", "Inactive")
PAYMENT_METHODS = ("Check", "ACH", "Wire", "CreditCard", "Cash", "Other")
INACTIVE = "Inactive"

SKU_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}"
_CURRENCY = Text(3, pattern=r"[A-Z]{3}")
_EMAIL = Text(254, pattern=r"[^@\s]+@[^@\s]+\.[^@\s]+")

ADDRESS = Nested(
    {
        "Line1": Field(Text(200, min_length=1), required=True),
        "Line2": Field(Text(200)),
        "City": Field(Text(100)),
        "State": Field(Text(100)),
        "PostalCode": Field(Text(20)),
        "Country": Field(Text(2, pattern=r"[A-Z]{2}"), required=True),
    }
)
ORDER_LINE = Nested(
    {
        "LineNo": Field(Integer(1)),
        "ItemID": Field(Integer()),
        "SKU": Field(Text(40)),
        "Quantity": Field(Integer(1), required=True),
        "UnitPrice": Field(Money(4)),
        "Discount": Field(Money()),
        "LineTotal": Field(Money(), readonly=True),
    }
)
#: An invoice line: an order line plus the sales tax charged on it (an amount, as the ERP computed it).
INVOICE_LINE = Nested({**ORDER_LINE.fields, "Tax": Field(Money(), nullable=False, default=Decimal("0.00"))})
SHIPMENT_LINE = Nested(
    {
        "LineNo": Field(Integer(1)),
        "ItemID": Field(Integer()),
        "SKU": Field(Text(40)),
        "Quantity": Field(Integer(1), required=True),
    }
)
GL_LINE = Nested(
    {
        "Account": Field(Text(40, min_length=1), required=True),
        "Debit": Field(Money(), nullable=False, default=Decimal("0.00")),
        "Credit": Field(Money(), nullable=False, default=Decimal("0.00")),
        "Dimension": Field(Text(60)),
    }
)


@dataclass(frozen=True, slots=True)
class Collection:
    """One collection under `/api/v1/`."""

    name: str
    #: Prefix of its webhook events (`salesorder.updated`).
    entity: str
    id_field: str
    fields: Fields
    #: Fields whose non-empty values must be unique across the collection (409 otherwise).
    unique: tuple[str, ...] = ("ExternalID",)
    first_id: int = 1
    writable: bool = True
    statuses: tuple[str, ...] = ("Active", INACTIVE)

    def parse(self, body: Mapping[str, object], *, partial: bool) -> dict[str, Any]:
        """Client input to record values (raises `FieldErrors`); read-only fields are dropped."""
        return parse_fields(self.fields, body, partial=partial)

    def render(self, record: Mapping[str, Any]) -> dict[str, Any]:
        return render_fields(self.fields, record)

    def blank(self) -> dict[str, Any]:
        """Every writable field at its default: what a create with an empty body would hold."""
        return {name: copy.deepcopy(spec.default) for name, spec in self.fields.items() if not spec.readonly}

    def filter_kind(self, name: str) -> Field:
        spec = self.fields.get(name)
        if spec is None or not spec.kind.scalar:
            raise KeyError(name)
        return spec


def _record(id_field: str, body: dict[str, Field], statuses: tuple[str, ...] = ("Active", INACTIVE)) -> Fields:
    """Id first, then the collection's own fields, then the fields every record has."""
    return {
        id_field: Field(Integer(), readonly=True),
        **body,
        # No default here: a create starts at the first status, and a PUT that omits it keeps it.
        "Status": Field(Text(20, choices=statuses), nullable=False),
        "Version": Field(Integer(), readonly=True),
        "ModifiedAt": Field(Timestamp(), readonly=True),
    }


def _ext() -> Field:
    return Field(Text(100))


_LINES = ListOf(ORDER_LINE, min_items=1)

CUSTOMERS = Collection(
    "customers",
    "customer",
    "CustomerID",
    _record(
        "CustomerID",
        {
            "ExternalID": _ext(),
            "CompanyName": Field(Text(200)),
            "FirstName": Field(Text(100)),
            "LastName": Field(Text(100)),
            "Email": Field(_EMAIL),
            "Phone": Field(Text(40)),
            "BillingAddress": Field(ADDRESS),
            "ShippingAddress": Field(ADDRESS),
            "PaymentTerms": Field(Text(20, choices=PAYMENT_TERMS), nullable=False, default="NET30"),
            "CreditLimit": Field(Money()),
            "Currency": Field(_CURRENCY, nullable=False, default="USD"),
        },
    ),
    first_id=10001,
)
ITEMS = Collection(
    "items",
    "item",
    "ItemID",
    _record(
        "ItemID",
        {
            "SKU": Field(Text(40, pattern=SKU_PATTERN), required=True),
            "ExternalID": _ext(),
            "Description": Field(Text(500, min_length=1), required=True),
            "UnitPrice": Field(Money(4), required=True),
            "Currency": Field(_CURRENCY, nullable=False, default="USD"),
            "UnitOfMeasure": Field(Text(10, min_length=1), nullable=False, default="EA"),
            "Active": Field(Flag(), nullable=False, default=True),
        },
    ),
    unique=("SKU", "ExternalID"),
    first_id=20001,
)
VENDORS = Collection(
    "vendors",
    "vendor",
    "VendorID",
    _record(
        "VendorID",
        {
            "ExternalID": _ext(),
            "CompanyName": Field(Text(200, min_length=1), required=True),
            "Email": Field(_EMAIL),
            "Phone": Field(Text(40)),
            "Address": Field(ADDRESS),
            "PaymentTerms": Field(Text(20, choices=PAYMENT_TERMS), nullable=False, default="NET30"),
        },
    ),
    first_id=30001,
)
SALES_ORDERS = Collection(
    "sales-orders",
    "salesorder",
    "SalesOrderID",
    _record(
        "SalesOrderID",
        {
            "OrderNumber": Field(Text(40, min_length=1)),
            "ExternalID": _ext(),
            "CustomerID": Field(Integer(), required=True),
            "OrderDate": Field(Day()),
            "OrderStatus": Field(Text(20, choices=ORDER_STATUSES), nullable=False, default="Open"),
            "Currency": Field(_CURRENCY),
            "Warehouse": Field(Text(10, choices=WAREHOUSES), nullable=False, default="MAIN"),
            "Lines": Field(_LINES, required=True),
            "Total": Field(Money(), readonly=True),
        },
    ),
    unique=("OrderNumber", "ExternalID"),
    first_id=50001,
)
PURCHASE_ORDERS = Collection(
    "purchase-orders",
    "purchaseorder",
    "PurchaseOrderID",
    _record(
        "PurchaseOrderID",
        {
            "ExternalID": _ext(),
            "VendorID": Field(Integer(), required=True),
            "OrderDate": Field(Day()),
            "Currency": Field(_CURRENCY, nullable=False, default="USD"),
            "Warehouse": Field(Text(10, choices=WAREHOUSES), nullable=False, default="MAIN"),
            "Lines": Field(_LINES, required=True),
            "Total": Field(Money(), readonly=True),
        },
        PO_STATUSES,
    ),
    first_id=70001,
    statuses=PO_STATUSES,
)
INVOICES = Collection(
    "invoices",
    "invoice",
    "InvoiceID",
    _record(
        "InvoiceID",
        {
            "InvoiceNumber": Field(Text(40, min_length=1)),
            "Type": Field(Text(2, choices=("AR", "AP")), nullable=False, default="AR"),
            "ExternalID": _ext(),
            "CustomerID": Field(Integer()),
            "VendorID": Field(Integer()),
            "SalesOrderID": Field(Integer()),
            "InvoiceDate": Field(Day()),
            "DueDate": Field(Day()),
            "Currency": Field(_CURRENCY),
            "Lines": Field(ListOf(INVOICE_LINE)),
            "Tax": Field(Money(), readonly=True),
            "Total": Field(Money(), readonly=True),
            "Balance": Field(Money(), readonly=True),
            "PaymentStatus": Field(Text(10), readonly=True),
        },
    ),
    first_id=80001,
)
PAYMENTS = Collection(
    "payments",
    "payment",
    "PaymentID",
    _record(
        "PaymentID",
        {
            "Type": Field(Text(2, choices=("AR", "AP"))),
            "ExternalID": _ext(),
            "InvoiceID": Field(Integer(), required=True),
            "Amount": Field(Money(positive=True), required=True),
            "Currency": Field(_CURRENCY),
            "PaymentDate": Field(Day()),
            "Method": Field(Text(20, choices=PAYMENT_METHODS), nullable=False, default="Check"),
            "Reference": Field(Text(100)),
        },
    ),
    first_id=90001,
)
GL_ENTRIES = Collection(
    "gl-entries",
    "glentry",
    "EntryID",
    _record(
        "EntryID",
        {
            "ExternalID": _ext(),
            "PostingDate": Field(Day(), required=True),
            "Period": Field(Text(7, pattern=r"\d{4}-(0[1-9]|1[0-2])")),
            "Description": Field(Text(200)),
            "Currency": Field(_CURRENCY, nullable=False, default="USD"),
            "Lines": Field(ListOf(GL_LINE, min_items=2), required=True),
            "ReversalOf": Field(Integer()),
            "ReversedBy": Field(Integer(), readonly=True),
        },
    ),
    first_id=100001,
)
INVENTORY = Collection(
    "inventory",
    "inventory",
    "SKU",
    {
        "SKU": Field(Text(40), readonly=True),
        "Warehouse": Field(Text(10), readonly=True),
        "ItemID": Field(Integer(), readonly=True),
        "OnHand": Field(Integer(), readonly=True),
        "Allocated": Field(Integer(), readonly=True),
        "Available": Field(Integer(), readonly=True),
        "Status": Field(Text(20), readonly=True),
        "Version": Field(Integer(), readonly=True),
        "ModifiedAt": Field(Timestamp(), readonly=True),
    },
    unique=(),
    writable=False,
)
INVENTORY_ADJUSTMENTS = Collection(
    "inventory-adjustments",
    "inventoryadjustment",
    "AdjustmentID",
    _record(
        "AdjustmentID",
        {
            "SKU": Field(Text(40), required=True),
            "Warehouse": Field(Text(10, choices=WAREHOUSES), required=True),
            "QuantityDelta": Field(Integer(nonzero=True), required=True),
            "Reason": Field(Text(200, min_length=1), required=True),
            "ExternalID": _ext(),
        },
    ),
    first_id=40001,
)
SHIPMENTS = Collection(
    "shipments",
    "shipment",
    "ShipmentID",
    _record(
        "ShipmentID",
        {
            "ExternalID": _ext(),
            "SalesOrderID": Field(Integer(), required=True),
            "Warehouse": Field(Text(10), readonly=True),
            "Carrier": Field(Text(40)),
            "TrackingNumber": Field(Text(60)),
            "ShippedAt": Field(Timestamp()),
            "Lines": Field(ListOf(SHIPMENT_LINE, min_items=1)),
        },
    ),
    first_id=60001,
)

COLLECTIONS: dict[str, Collection] = {
    c.name: c
    for c in (
        CUSTOMERS,
        ITEMS,
        VENDORS,
        SALES_ORDERS,
        PURCHASE_ORDERS,
        INVOICES,
        PAYMENTS,
        GL_ENTRIES,
        INVENTORY,
        INVENTORY_ADJUSTMENTS,
        SHIPMENTS,
    )
}
ENTITIES = tuple(c.entity for c in COLLECTIONS.values())

__all__ = ["COLLECTIONS", "ENTITIES", "Collection", "FieldErrors"]
