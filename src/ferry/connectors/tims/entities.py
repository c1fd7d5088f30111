"""The TIMS collections, their fields and keys, and how a TIMS row becomes a `Record`.

TIMS serves no metadata, so the schemas come from the contract (`specs/tims-api.md`), with the
fields the TIMS sandbox documents where the contract leaves them open (an order's `Warehouse`,
the parts of an address and of a line). Entity names are TIMS's collection names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ferry.connectors.contract import EntitySchema, FieldSchema, FieldType
from ferry.connectors.tims.client import parse_time
from ferry.core.records import Record

INACTIVE = "Inactive"
PAYMENT_TERMS = ("NET15", "NET30", "NET60", "DUE_ON_RECEIPT")
PAYMENT_STATUSES = ("Unpaid", "Partial", "Paid")
ORDER_STATUSES = ("Open", "Allocated", "Shipped", "Invoiced", "Closed", "Cancelled")
#: The id of an inventory row is its SKU and warehouse, written `<SKU>/<Warehouse>`.
INVENTORY_ID = "SKU/Warehouse"


def _f(name: str, kind: FieldType = "string", **options: Any) -> FieldSchema:
    return FieldSchema(name, kind, **options)


def _ro(name: str, kind: FieldType = "string") -> FieldSchema:
    return FieldSchema(name, kind, read_only=True)


def _ref(name: str, target: str, required: bool = False) -> FieldSchema:
    return FieldSchema(name, "reference", required=required, references=target)


def _choice(name: str, values: tuple[str, ...], required: bool = False) -> FieldSchema:
    return FieldSchema(name, "choice", required=required, choices={v: v for v in values})


def _text(name: str, max_length: int | None = None, required: bool = False) -> FieldSchema:
    return FieldSchema(name, "string", required=required, max_length=max_length)


def _entity(name: str, id_field: str, *fields: FieldSchema, keys: tuple[tuple[str, ...], ...] = ()) -> EntitySchema:
    """A writable collection: id first, its own fields, then `Status`, `Version` and `ModifiedAt`."""
    common = (
        _choice("Status", ("Active", INACTIVE)) if name != "purchase-orders" else _text("Status"),
        _ro("Version", "integer"),
        _ro("ModifiedAt", "datetime"),
    )
    every = (_ro(id_field, "integer"), _text("ExternalID", 100), *fields, *common)
    return EntitySchema(
        name,
        id_field,
        {f.name: f for f in every},
        keys=(("ExternalID",), *keys),
        incremental=True,
        reports_deletes=True,
    )


_LINES = _f("Lines", "list")  # [{LineNo, ItemID or SKU, Quantity, UnitPrice, Discount, LineTotal}]
_TOTAL = _ro("Total", "decimal")

SCHEMAS: dict[str, EntitySchema] = {
    s.name: s
    for s in (
        _entity(
            "customers",
            "CustomerID",
            _text("CompanyName", 200),
            _text("FirstName", 100),
            _text("LastName", 100),
            _text("Email", 254),
            _text("Phone", 40),
            _f("BillingAddress", "object"),
            _f("ShippingAddress", "object"),
            _choice("PaymentTerms", PAYMENT_TERMS),
            _f("CreditLimit", "decimal"),
            _text("Currency", 3),
        ),
        _entity(
            "items",
            "ItemID",
            _text("SKU", 40, required=True),
            _text("Description", 500, required=True),
            _f("UnitPrice", "decimal", required=True),
            _text("Currency", 3),
            _text("UnitOfMeasure", 10),
            _f("Active", "boolean"),
            keys=(("SKU",),),
        ),
        _entity(
            "vendors",
            "VendorID",
            _text("CompanyName", 200, required=True),
            _text("Email", 254),
            _text("Phone", 40),
            _f("Address", "object"),
            _choice("PaymentTerms", PAYMENT_TERMS),
        ),
        _entity(
            "sales-orders",
            "SalesOrderID",
            _text("OrderNumber", 40),
            _ref("CustomerID", "customers", required=True),
            _f("OrderDate", "date"),
            _choice("OrderStatus", ORDER_STATUSES),
            _text("Currency", 3),
            _choice("Warehouse", ("MAIN", "EAST")),
            FieldSchema("Lines", "list", required=True),
            _TOTAL,
        ),
        _entity(
            "purchase-orders",
            "PurchaseOrderID",
            _ref("VendorID", "vendors", required=True),
            _f("OrderDate", "date"),
            _text("Currency", 3),
            _choice("Warehouse", ("MAIN", "EAST")),
            FieldSchema("Lines", "list", required=True),
            _TOTAL,
        ),
        _entity(
            "invoices",
            "InvoiceID",
            _text("InvoiceNumber", 40),
            _choice("Type", ("AR", "AP")),
            _ref("CustomerID", "customers"),
            _ref("VendorID", "vendors"),
            _ref("SalesOrderID", "sales-orders"),
            _f("InvoiceDate", "date"),
            _f("DueDate", "date"),
            _text("Currency", 3),
            _LINES,
            _ro("Tax", "decimal"),  # the lines' Tax summed; Total includes it
            _TOTAL,
            _ro("Balance", "decimal"),
            FieldSchema("PaymentStatus", "choice", read_only=True, choices={v: v for v in PAYMENT_STATUSES}),
        ),
        _entity(
            "payments",
            "PaymentID",
            _choice("Type", ("AR", "AP")),
            _ref("InvoiceID", "invoices", required=True),
            _f("Amount", "decimal", required=True),
            _text("Currency", 3),
            _f("PaymentDate", "date"),
            _choice("Method", ("Check", "ACH", "Wire", "CreditCard", "Cash", "Other")),
            _text("Reference", 100),
        ),
        _entity(
            "gl-entries",
            "EntryID",
            _f("PostingDate", "date", required=True),
            _text("Period", 7),
            _text("Description", 200),
            _text("Currency", 3),
            FieldSchema("Lines", "list", required=True),  # [{Account, Debit, Credit, Dimension}], balanced
            _ref("ReversalOf", "gl-entries"),  # the posted entry this one reverses
            FieldSchema("ReversedBy", "reference", read_only=True, references="gl-entries"),
        ),
        EntitySchema(
            "inventory",
            INVENTORY_ID,
            {
                f.name: f
                for f in (
                    _ro("SKU"),
                    _ro("Warehouse"),
                    FieldSchema("ItemID", "reference", read_only=True, references="items"),
                    _ro("OnHand", "integer"),
                    _ro("Allocated", "integer"),
                    _ro("Available", "integer"),
                    _ro("Status"),
                    _ro("Version", "integer"),
                    _ro("ModifiedAt", "datetime"),
                )
            },
            keys=(("SKU", "Warehouse"),),
            incremental=True,
            reports_deletes=False,
        ),
        _entity(
            "inventory-adjustments",
            "AdjustmentID",
            _text("SKU", 40, required=True),
            _choice("Warehouse", ("MAIN", "EAST"), required=True),
            _f("QuantityDelta", "integer", required=True),
            _text("Reason", 200, required=True),
        ),
        _entity(
            "shipments",
            "ShipmentID",
            _ref("SalesOrderID", "sales-orders", required=True),
            _ro("Warehouse"),
            _text("Carrier", 40),
            _text("TrackingNumber", 60),
            _f("ShippedAt", "datetime"),
            _LINES,
        ),
    )
}

#: Collection -> the entity name TIMS uses in webhook events (`sales-orders` -> `salesorder.updated`).
EVENT_PREFIXES: dict[str, str] = {
    "customers": "customer",
    "items": "item",
    "vendors": "vendor",
    "sales-orders": "salesorder",
    "purchase-orders": "purchaseorder",
    "invoices": "invoice",
    "payments": "payment",
    "gl-entries": "glentry",
    "inventory": "inventory",
    "inventory-adjustments": "inventoryadjustment",
    "shipments": "shipment",
}


def record_id(entity: str, row: Mapping[str, Any]) -> str:
    """The id ferry uses for a row: its id field, or `<SKU>/<Warehouse>` for inventory."""
    schema = SCHEMAS[entity]
    if schema.id_field == INVENTORY_ID:
        return f"{row.get('SKU')}/{row.get('Warehouse')}"
    return str(row.get(schema.id_field))


def to_record(entity: str, row: dict[str, Any], *, deleted: bool | None = None) -> Record:
    """A TIMS row as a `Record`: `version` is `Version`, `modified_at` is `ModifiedAt`.

    A soft-deleted row (`Status: Inactive`) keeps its data and comes back with `deleted=True`.
    """
    version = row.get("Version")
    return Record(
        entity=entity,
        id=record_id(entity, row),
        data=row,
        version=None if version is None else str(version),
        modified_at=parse_time(row.get("ModifiedAt")),
        deleted=row.get("Status") == INACTIVE if deleted is None else deleted,
    )
