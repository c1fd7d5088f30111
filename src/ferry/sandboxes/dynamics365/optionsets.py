"""Choice (option set) values of the emulated tables, as Dataverse defines them."""

from __future__ import annotations

from ferry.sandboxes.dynamics365.schema import Option


def states(*pairs: tuple[int, str, int]) -> tuple[Option, ...]:
    """(value, label, default status) triples."""
    return tuple(Option(v, label, default_status=d) for v, label, d in pairs)


def statuses(*triples: tuple[int, str, int]) -> tuple[Option, ...]:
    """(value, label, state) triples."""
    return tuple(Option(v, label, state=s) for v, label, s in triples)


def choices(*pairs: tuple[int, str]) -> tuple[Option, ...]:
    return tuple(Option(v, label) for v, label in pairs)


ACTIVE_INACTIVE_STATE = states((0, "Active", 1), (1, "Inactive", 2))
ACTIVE_INACTIVE_STATUS = statuses((1, "Active", 0), (2, "Inactive", 1))

INDUSTRY = choices(
    (1, "Accounting"),
    (2, "Agriculture and Non-petrol Natural Resource Extraction"),
    (3, "Broadcasting Printing and Publishing"),
    (4, "Brokers"),
    (5, "Building Supply Retail"),
    (6, "Business Services"),
    (7, "Consulting"),
    (8, "Consumer Services"),
    (9, "Design, Direction and Creative Management"),
    (10, "Distributors, Dispatchers and Processors"),
    (11, "Doctor's Offices and Clinics"),
    (12, "Durable Manufacturing"),
    (13, "Eating and Drinking Places"),
    (14, "Entertainment Retail"),
    (15, "Equipment Rental and Leasing"),
    (16, "Financial"),
    (17, "Food and Tobacco Processing"),
    (18, "Inbound Capital Intensive Processing"),
    (19, "Inbound Repair and Services"),
    (20, "Insurance"),
    (21, "Legal Services"),
    (22, "Non-Durable Merchandise Retail"),
    (23, "Outbound Consumer Service"),
    (24, "Petrochemical Extraction and Distribution"),
    (25, "Service Retail"),
    (26, "SIG Affiliations"),
    (27, "Social Services"),
    (28, "Special Outbound Trade Contractors"),
    (29, "Specialty Realty"),
    (30, "Transportation"),
    (31, "Utility Creation and Distribution"),
    (32, "Vehicle Retail"),
    (33, "Wholesale"),
)
CUSTOMER_TYPE = choices(
    (1, "Competitor"),
    (2, "Consultant"),
    (3, "Customer"),
    (4, "Investor"),
    (5, "Partner"),
    (6, "Influencer"),
    (7, "Press"),
    (8, "Prospect"),
    (9, "Reseller"),
    (10, "Supplier"),
    (11, "Vendor"),
    (12, "Other"),
)
PAYMENT_TERMS = choices((1, "Net 30"), (2, "2% 10, Net 30"), (3, "Net 45"), (4, "Net 60"))
ADDRESS_TYPE = choices((1, "Bill To"), (2, "Ship To"), (3, "Primary"), (4, "Other"))
PREFERRED_CONTACT = choices((1, "Any"), (2, "Email"), (3, "Phone"), (4, "Fax"), (5, "Mail"))

PRODUCT_STATE = states((0, "Active", 1), (1, "Retired", 2), (2, "Draft", 0), (3, "Under Revision", 3))
PRODUCT_STATUS = statuses((0, "Draft", 2), (1, "Active", 0), (2, "Retired", 1), (3, "Under Revision", 3))
PRODUCT_STRUCTURE = choices((1, "Product"), (2, "Product Family"), (3, "Product Bundle"))
PRODUCT_TYPE = choices((1, "Sales Inventory"), (2, "Miscellaneous Charges"), (3, "Services"), (4, "Flat Fees"))

SALESORDER_STATE = states(
    (0, "Active", 1), (1, "Submitted", 3), (2, "Canceled", 4), (3, "Fulfilled", 100001), (4, "Invoiced", 100003)
)
SALESORDER_STATUS = statuses(
    (1, "New", 0),
    (2, "Pending", 0),
    (700970000, "In Progress", 0),
    (3, "In Progress", 1),
    (4, "No Money", 2),
    (100001, "Complete", 3),
    (100002, "Partial", 3),
    (100003, "Invoiced", 4),
)
ORDERCLOSE_STATE = states((0, "Open", 1), (1, "Completed", 2), (2, "Canceled", 3))
ORDERCLOSE_STATUS = statuses((1, "Open", 0), (2, "Completed", 1), (3, "Canceled", 2))
INVOICE_STATE = states((0, "Active", 1), (1, "Closed", 3), (2, "Paid", 100001), (3, "Canceled", 100003))
INVOICE_STATUS = statuses(
    (1, "New", 0),
    (2, "Partially Shipped", 0),
    (4, "Billed", 0),
    (5, "Booked (applies to services)", 0),
    (6, "Installed (applies to services)", 0),
    (3, "Canceled (deprecated)", 1),
    (7, "Paid in Full (deprecated)", 1),
    (100001, "Complete", 2),
    (100002, "Partial", 2),
    (100003, "Canceled", 3),
)
PO_SYSTEM_STATUS = choices(
    (690970000, "Draft"),
    (690970001, "Submitted"),
    (690970002, "Canceled"),
    (690970003, "Products Received"),
    (690970004, "Billed"),
)
PO_APPROVAL_STATUS = choices((690970000, "Approved"), (690970001, "Rejected"))
PO_ITEM_STATUS = choices((690970000, "Pending"), (690970001, "Received"), (690970002, "Canceled"))

SERVICE_ENDPOINT_CONTRACT = choices(
    (1, "OneWay"),
    (2, "Queue"),
    (3, "Rest"),
    (4, "TwoWay"),
    (5, "Topic"),
    (6, "Queue (Persistent)"),
    (7, "Event Hub"),
    (8, "Webhook"),
    (9, "Event Grid"),
    (10, "Managed Data Lake"),
)
SERVICE_ENDPOINT_AUTHTYPE = choices(
    (1, "ACS"),
    (2, "SAS Key"),
    (3, "SAS Token"),
    (4, "Webhook Key"),
    (5, "Http Header"),
    (6, "Http Query String"),
    (7, "Connection String"),
    (8, "Access Key"),
)
MESSAGE_FORMAT = choices((1, "Binary XML"), (2, "Json"), (3, "Text XML"))
STEP_STAGE = choices(
    (10, "Initial Pre-operation (For internal use only)"),
    (20, "Pre-operation"),
    (30, "Main Operation (For internal use only)"),
    (40, "Post-operation"),
)
STEP_MODE = choices((0, "Synchronous"), (1, "Asynchronous"))
STEP_STATE = states((0, "Enabled", 1), (1, "Disabled", 2))
STEP_STATUS = statuses((1, "Enabled", 0), (2, "Disabled", 1))
IMAGE_TYPE = choices((0, "PreImage"), (1, "PostImage"), (2, "Both"))
ASYNC_STATE = states((0, "Ready", 0), (1, "Suspended", 10), (2, "Locked", 20), (3, "Completed", 30))
ASYNC_STATUS = statuses(
    (0, "Waiting For Resources", 0),
    (10, "Waiting", 1),
    (20, "In Progress", 2),
    (21, "Pausing", 2),
    (22, "Canceling", 2),
    (30, "Succeeded", 3),
    (31, "Failed", 3),
    (32, "Canceled", 3),
)
