"""The tables the sandbox serves, declared as Dataverse defines them (`specs/dataverse.md` §1.2)."""

from __future__ import annotations

from ferry.sandboxes.dynamics365 import optionsets as o
from ferry.sandboxes.dynamics365.schema import Column, Kind, Option, Relationship, Table, columns

S, MEMO, GUID, INT, BIG, DEC, MONEY = Kind.STRING, Kind.MEMO, Kind.GUID, Kind.INT, Kind.BIGINT, Kind.DECIMAL, Kind.MONEY
BOOL, DT, DATE, PICK, LOOKUP = Kind.BOOL, Kind.DATETIME, Kind.DATE, Kind.PICKLIST, Kind.LOOKUP


def s(name: str, length: int = 100, label: str = "", **kw: object) -> Column:
    return Column(name, S, label=label, max_length=length, **kw)  # type: ignore[arg-type]


def lookup(name: str, *targets: str, nav: str | None = None, **kw: object) -> Column:
    return Column(name, LOOKUP, targets=targets, nav=nav, **kw)  # type: ignore[arg-type]


def system(
    primary_id: str,
    *,
    state: tuple[Option, ...] = o.ACTIVE_INACTIVE_STATE,
    status: tuple[Option, ...] = o.ACTIVE_INACTIVE_STATUS,
    owned: bool = True,
    money: bool = False,
) -> list[Column]:
    """Columns every user-owned table has."""
    cols = [
        Column(primary_id, GUID, label="Id"),
        Column("createdon", DT, read_only=True, label="Created On"),
        Column("modifiedon", DT, read_only=True, label="Modified On"),
        Column("overriddencreatedon", DT, label="Record Created On"),
        Column("versionnumber", BIG, read_only=True, label="Version Number"),
        lookup("createdby", "systemuser", read_only=True),
        lookup("modifiedby", "systemuser", read_only=True),
        Column("statecode", Kind.STATE, label="Status", options=state),
        Column("statuscode", Kind.STATUS, label="Status Reason", options=status),
    ]
    if owned:
        cols.append(lookup("ownerid", "systemuser"))
    if money:
        # The platform stamps the record with its currency's rate; no client may set it (IsValidForCreate
        # and IsValidForUpdate are false in Dataverse's metadata).
        cols += [
            lookup("transactioncurrencyid", "transactioncurrency"),
            Column("exchangerate", DEC, precision=10, read_only=True, label="Exchange Rate"),
        ]
    return cols


def based(name: str, *, read_only: bool = False) -> list[Column]:
    """A money column and its `_base` twin: the amount in the organisation's base currency, which the
    platform computes as amount / exchangerate."""
    return [Column(name, MONEY, read_only=read_only), Column(f"{name}_base", MONEY, read_only=True)]


def rate_table_columns() -> list[Column]:
    """Columns a tenant adds to its orders and invoices (publisher prefix `new_`) to keep the rate of the
    document's own date from its rate table, beside the currency's rate Dataverse stamps."""
    return [
        Column("new_fxrate", DEC, precision=10, label="Rate-Table Exchange Rate", custom=True),
        Column("new_fxratedate", DATE, label="Rate-Table Rate Date", custom=True),
        Column("new_fxbasetotal", DEC, precision=2, label="Total Amount (Base, Rate Table)", custom=True),
    ]


def address(prefix: str, *, composite: bool = True, lines: int = 3) -> list[Column]:
    cols = [s(f"{prefix}_line{n}", 250) for n in range(1, lines + 1)]
    cols += [
        s(f"{prefix}_city", 80),
        s(f"{prefix}_stateorprovince", 50),
        s(f"{prefix}_postalcode", 20),
        s(f"{prefix}_country", 80),
    ]
    if composite:
        cols.append(Column(f"{prefix}_composite", MEMO, max_length=1000, read_only=True))
    return cols


def line_columns(parent_column: str, parent_table: str) -> list[Column]:
    """Columns shared by order and invoice lines."""
    return [
        lookup(parent_column, parent_table, required=True),
        lookup("productid", "product"),
        lookup("uomid", "uom"),
        Column("isproductoverridden", BOOL),
        s("productdescription", 500),
        Column("quantity", DEC, precision=5),
        Column("priceperunit", MONEY),
        Column("ispriceoverridden", BOOL),
        Column("baseamount", MONEY, read_only=True),
        Column("extendedamount", MONEY, read_only=True),
        Column("manualdiscountamount", MONEY),
        Column("tax", MONEY),
        Column("lineitemnumber", INT),
        Column("sequencenumber", INT, read_only=True),
        s("productname", 500, read_only=True),
    ]


def _tables() -> list[Table]:
    account = Table(
        "account",
        "accounts",
        "accountid",
        "name",
        "Account",
        columns(
            *system("accountid", money=True),
            s("name", 160, "Account Name"),
            s("accountnumber", 20, "Account Number"),
            s("telephone1", 50),
            s("telephone2", 50),
            s("fax", 50),
            s("emailaddress1", 100),
            s("websiteurl", 200),
            *address("address1"),
            *address("address2"),
            Column("address1_addresstypecode", PICK, options=o.ADDRESS_TYPE),
            Column("creditlimit", MONEY),
            Column("creditonhold", BOOL),
            Column("revenue", MONEY),
            Column("numberofemployees", INT),
            Column("description", MEMO, max_length=2000),
            Column("industrycode", PICK, options=o.INDUSTRY),
            Column("customertypecode", PICK, options=o.CUSTOMER_TYPE),
            Column("paymenttermscode", PICK, options=o.PAYMENT_TERMS),
            lookup("primarycontactid", "contact"),
            lookup("parentaccountid", "account"),
        ),
        alternate_keys=(("accountnumber",),),
        relationships=(
            Relationship("contact_customer_accounts", "contact", "parentcustomerid", "cascade"),
            Relationship("order_customer_accounts", "salesorder", "customerid", "restrict"),
            Relationship("invoice_customer_accounts", "invoice", "customerid", "restrict"),
        ),
    )
    contact = Table(
        "contact",
        "contacts",
        "contactid",
        "fullname",
        "Contact",
        columns(
            *system("contactid", money=True),
            s("firstname", 50),
            s("lastname", 50),
            s("middlename", 50),
            s("fullname", 160, read_only=True),
            s("jobtitle", 100),
            s("emailaddress1", 100),
            s("emailaddress2", 100),
            s("telephone1", 50),
            s("mobilephone", 50),
            *address("address1"),
            Column("preferredcontactmethodcode", PICK, options=o.PREFERRED_CONTACT),
            Column("donotemail", BOOL),
            Column("description", MEMO, max_length=2000),
            lookup("parentcustomerid", "account", "contact"),
        ),
        relationships=(Relationship("order_customer_contacts", "salesorder", "customerid", "restrict"),),
    )
    product = Table(
        "product",
        "products",
        "productid",
        "name",
        "Product",
        columns(
            *system("productid", state=o.PRODUCT_STATE, status=o.PRODUCT_STATUS, owned=False, money=True),
            s("productnumber", 100, "Product ID", required=True),
            s("name", 100, required=True),
            Column("description", MEMO, max_length=2000),
            Column("price", MONEY, label="List Price"),
            Column("standardcost", MONEY),
            Column("currentcost", MONEY),
            Column("quantityonhand", DEC, precision=2),
            Column("quantitydecimal", INT),
            Column("stockweight", DEC, precision=2),
            s("vendorname", 100),
            s("suppliername", 100),
            Column("productstructure", PICK, options=o.PRODUCT_STRUCTURE),
            Column("producttypecode", PICK, options=o.PRODUCT_TYPE),
            lookup("defaultuomscheduleid", "uomschedule", required=True),
            lookup("defaultuomid", "uom", required=True),
            lookup("pricelevelid", "pricelevel"),
            lookup("parentproductid", "product"),
        ),
        alternate_keys=(("productnumber",),),
    )
    salesorder = Table(
        "salesorder",
        "salesorders",
        "salesorderid",
        "name",
        "Order",
        columns(
            *system("salesorderid", state=o.SALESORDER_STATE, status=o.SALESORDER_STATUS, money=True),
            s("ordernumber", 100, read_only=False),
            s("name", 300),
            lookup("customerid", "account", "contact"),
            lookup("pricelevelid", "pricelevel"),
            *based("totalamount", read_only=True),
            *based("totallineitemamount", read_only=True),
            *based("totaltax", read_only=True),
            *based("freightamount"),
            *based("discountamount"),
            Column("discountpercentage", DEC, precision=2),
            *based("totaldiscountamount", read_only=True),
            Column("requestdeliveryby", DATE),
            Column("submitdate", DATE),
            Column("datefulfilled", DATE),
            Column("paymenttermscode", PICK, options=o.PAYMENT_TERMS),
            Column("description", MEMO, max_length=2000),
            *rate_table_columns(),
            *[
                s(f"shipto_{p}", 250)
                for p in ("name", "line1", "line2", "line3", "city", "stateorprovince", "postalcode", "country")
            ],
            *[
                s(f"billto_{p}", 250)
                for p in ("name", "line1", "line2", "line3", "city", "stateorprovince", "postalcode", "country")
            ],
        ),
        relationships=(Relationship("order_details", "salesorderdetail", "salesorderid", "cascade"),),
        autonumber=("ordernumber", "ORD"),
    )
    # The activity FulfillSalesOrder records on the order it closes.
    orderclose = Table(
        "orderclose",
        "ordercloses",
        "activityid",
        "subject",
        "Order Close",
        columns(
            *system("activityid", state=o.ORDERCLOSE_STATE, status=o.ORDERCLOSE_STATUS),
            s("subject", 200),
            lookup("salesorderid", "salesorder", required=True),
            Column("actualend", DT),
            Column("description", MEMO, max_length=2000),
        ),
    )
    salesorderdetail = Table(
        "salesorderdetail",
        "salesorderdetails",
        "salesorderdetailid",
        "productname",
        "Order Product",
        columns(*system("salesorderdetailid", owned=False, money=True), *line_columns("salesorderid", "salesorder")),
    )
    invoice = Table(
        "invoice",
        "invoices",
        "invoiceid",
        "name",
        "Invoice",
        columns(
            *system("invoiceid", state=o.INVOICE_STATE, status=o.INVOICE_STATUS, money=True),
            s("invoicenumber", 100),
            s("name", 300),
            lookup("customerid", "account", "contact"),
            lookup("salesorderid", "salesorder"),
            lookup("pricelevelid", "pricelevel"),
            *based("totalamount", read_only=True),
            *based("totallineitemamount", read_only=True),
            *based("totaltax", read_only=True),
            *based("freightamount"),
            *based("discountamount"),
            *based("totaldiscountamount", read_only=True),
            Column("datedelivered", DATE),
            Column("duedate", DATE),
            Column("paymenttermscode", PICK, options=o.PAYMENT_TERMS),
            Column("description", MEMO, max_length=2000),
            *rate_table_columns(),
        ),
        relationships=(
            Relationship("invoice_details", "invoicedetail", "invoiceid", "cascade"),
            Relationship(
                "msdyn_invoice_msdyn_paymentdetail_Invoice", "msdyn_paymentdetail", "msdyn_invoice", "restrict"
            ),
        ),
        autonumber=("invoicenumber", "INV"),
    )
    invoicedetail = Table(
        "invoicedetail",
        "invoicedetails",
        "invoicedetailid",
        "productname",
        "Invoice Product",
        columns(*system("invoicedetailid", owned=False, money=True), *line_columns("invoiceid", "invoice")),
    )
    purchaseorder = Table(
        "msdyn_purchaseorder",
        "msdyn_purchaseorders",
        "msdyn_purchaseorderid",
        "msdyn_name",
        "Purchase Order",
        columns(
            *system("msdyn_purchaseorderid", money=True),
            s("msdyn_name", 100, "Purchase Order Number"),
            lookup("msdyn_vendor", "account", nav="msdyn_Vendor"),
            Column("msdyn_purchaseorderdate", DATE),
            Column("msdyn_dateexpected", DATE),
            lookup("msdyn_receivetowarehouse", "msdyn_warehouse", nav="msdyn_ReceiveToWarehouse"),
            Column("msdyn_totalamount", MONEY, read_only=True),
            Column("msdyn_amountbilled", MONEY),
            Column("msdyn_approvalstatus", PICK, options=o.PO_APPROVAL_STATUS),
            Column("msdyn_systemstatus", PICK, options=o.PO_SYSTEM_STATUS),
            s("msdyn_vendorreference", 100),
        ),
        relationships=(
            Relationship(
                "msdyn_msdyn_purchaseorder_msdyn_purchaseorderproduct_PurchaseOrder",
                "msdyn_purchaseorderproduct",
                "msdyn_purchaseorder",
                "cascade",
            ),
        ),
        autonumber=("msdyn_name", "PO"),
    )
    purchaseorderproduct = Table(
        "msdyn_purchaseorderproduct",
        "msdyn_purchaseorderproducts",
        "msdyn_purchaseorderproductid",
        "msdyn_name",
        "Purchase Order Product",
        columns(
            *system("msdyn_purchaseorderproductid", money=True),
            s("msdyn_name", 100),
            lookup("msdyn_purchaseorder", "msdyn_purchaseorder", nav="msdyn_PurchaseOrder", required=True),
            lookup("msdyn_product", "product", nav="msdyn_Product"),
            lookup("msdyn_unit", "uom", nav="msdyn_Unit"),
            lookup("msdyn_associatetowarehouse", "msdyn_warehouse", nav="msdyn_AssociateToWarehouse"),
            Column("msdyn_quantity", Kind.DOUBLE),
            Column("msdyn_unitcost", MONEY),
            Column("msdyn_totalcost", MONEY, read_only=True),
            Column("msdyn_itemstatus", PICK, options=o.PO_ITEM_STATUS),
            Column("msdyn_datereceived", DATE),
        ),
    )
    # Field Service payments: a payment received from an account, applied to invoices by payment details.
    payment = Table(
        "msdyn_payment",
        "msdyn_payments",
        "msdyn_paymentid",
        "msdyn_name",
        "Payment",
        columns(
            *system("msdyn_paymentid", money=True),
            s("msdyn_name", 100),
            lookup("msdyn_account", "account", nav="msdyn_Account"),
            Column("msdyn_amount", MONEY),
            Column("msdyn_date", DATE),
            s("msdyn_checknumber", 100),
        ),
        relationships=(
            Relationship(
                "msdyn_msdyn_payment_msdyn_paymentdetail_Payment", "msdyn_paymentdetail", "msdyn_payment", "cascade"
            ),
        ),
    )
    paymentdetail = Table(
        "msdyn_paymentdetail",
        "msdyn_paymentdetails",
        "msdyn_paymentdetailid",
        "msdyn_name",
        "Payment Detail",
        columns(
            *system("msdyn_paymentdetailid", money=True),
            s("msdyn_name", 100),
            lookup("msdyn_payment", "msdyn_payment", nav="msdyn_Payment"),
            lookup("msdyn_invoice", "invoice", nav="msdyn_Invoice"),
            Column("msdyn_paymentamount", MONEY),
        ),
    )
    warehouse = Table(
        "msdyn_warehouse",
        "msdyn_warehouses",
        "msdyn_warehouseid",
        "msdyn_name",
        "Warehouse",
        columns(*system("msdyn_warehouseid"), s("msdyn_name", 100), s("msdyn_description", 200)),
        alternate_keys=(("msdyn_name",),),
    )
    productinventory = Table(
        "msdyn_productinventory",
        "msdyn_productinventories",
        "msdyn_productinventoryid",
        "msdyn_name",
        "Product Inventory",
        columns(
            *system("msdyn_productinventoryid"),
            s("msdyn_name", 100),
            lookup("msdyn_product", "product", nav="msdyn_Product", required=True),
            lookup("msdyn_warehouse", "msdyn_warehouse", nav="msdyn_Warehouse", required=True),
            lookup("msdyn_unit", "uom", nav="msdyn_Unit"),
            Column("msdyn_qtyonhand", Kind.DOUBLE),
            Column("msdyn_qtyavailable", Kind.DOUBLE, read_only=True),
            Column("msdyn_qtyallocated", Kind.DOUBLE),
            Column("msdyn_qtyonorder", Kind.DOUBLE),
            Column("msdyn_reorderpoint", Kind.DOUBLE),
            s("msdyn_bin", 100),
            s("msdyn_row", 100),
        ),
    )
    onhandentry = Table(
        "msdyn_inventoryonhandentry",
        "msdyn_inventoryonhandentries",
        "msdyn_inventoryonhandentryid",
        "msdyn_name",
        "CDS Inventory on-hand entry",
        columns(
            *system("msdyn_inventoryonhandentryid"),
            s("msdyn_name", 100),
            s("msdyn_itemnumber", 40),
            s("msdyn_inventorysiteid", 20),
            s("msdyn_inventorywarehouseid", 20),
            s("msdyn_company", 4),
            lookup("msdyn_product", "product", nav="msdyn_Product"),
            *[
                Column(f"msdyn_{q}quantity", DEC, precision=2)
                for q in (
                    "onhand",
                    "reservedonhand",
                    "availableonhand",
                    "ordered",
                    "onorder",
                    "reservedordered",
                    "totalavailable",
                )
            ],
        ),
        alternate_keys=(("msdyn_itemnumber", "msdyn_inventorywarehouseid"),),
    )
    currency = Table(
        "transactioncurrency",
        "transactioncurrencies",
        "transactioncurrencyid",
        "currencyname",
        "Currency",
        columns(
            *system("transactioncurrencyid", owned=False),
            s("isocurrencycode", 5, required=True),
            s("currencyname", 100),
            s("currencysymbol", 10),
            Column("exchangerate", DEC, precision=10),
            Column("currencyprecision", INT),
        ),
        alternate_keys=(("isocurrencycode",),),
    )
    uomschedule = Table(
        "uomschedule",
        "uomschedules",
        "uomscheduleid",
        "name",
        "Unit Group",
        columns(*system("uomscheduleid", owned=False), s("name", 200), s("baseuomname", 100)),
    )
    uom = Table(
        "uom",
        "uoms",
        "uomid",
        "name",
        "Unit",
        columns(
            *system("uomid", owned=False),
            s("name", 100),
            lookup("uomscheduleid", "uomschedule"),
            Column("quantity", DEC, precision=5),
            Column("isschedulebaseuom", BOOL),
        ),
    )
    pricelevel = Table(
        "pricelevel",
        "pricelevels",
        "pricelevelid",
        "name",
        "Price List",
        columns(
            *system("pricelevelid", owned=False, money=True),
            s("name", 100),
            Column("begindate", DATE),
            Column("enddate", DATE),
        ),
    )
    systemuser = Table(
        "systemuser",
        "systemusers",
        "systemuserid",
        "fullname",
        "User",
        columns(
            *system("systemuserid", owned=False),
            s("fullname", 200, read_only=True),
            s("firstname", 64),
            s("lastname", 64),
            s("domainname", 1024),
            s("internalemailaddress", 100),
            Column("applicationid", GUID),
            Column("isdisabled", BOOL),
            Column("azureactivedirectoryobjectid", GUID),
        ),
        change_tracking=False,
    )
    return [
        account,
        contact,
        product,
        salesorder,
        orderclose,
        salesorderdetail,
        invoice,
        invoicedetail,
        purchaseorder,
        purchaseorderproduct,
        payment,
        paymentdetail,
        warehouse,
        productinventory,
        onhandentry,
        currency,
        uomschedule,
        uom,
        pricelevel,
        systemuser,
        *_registration_tables(),
    ]


def _registration_tables() -> list[Table]:
    """Tables a client writes to register webhooks, and the system jobs that record delivery failures."""
    endpoint = Table(
        "serviceendpoint",
        "serviceendpoints",
        "serviceendpointid",
        "name",
        "Service Endpoint",
        columns(
            *system("serviceendpointid", owned=False),
            s("name", 256, required=True),
            s("url", 2000),
            Column("contract", PICK, options=o.SERVICE_ENDPOINT_CONTRACT, required=True),
            Column("authtype", PICK, options=o.SERVICE_ENDPOINT_AUTHTYPE),
            Column("authvalue", MEMO, max_length=2048, write_only=True),
            Column("messageformat", PICK, options=o.MESSAGE_FORMAT),
            Column("description", MEMO, max_length=2000),
            s("namespaceaddress", 256),
            s("path", 160),
        ),
        change_tracking=False,
    )
    message = Table(
        "sdkmessage",
        "sdkmessages",
        "sdkmessageid",
        "name",
        "Sdk Message",
        columns(*system("sdkmessageid", owned=False), s("name", 256)),
        change_tracking=False,
    )
    message_filter = Table(
        "sdkmessagefilter",
        "sdkmessagefilters",
        "sdkmessagefilterid",
        "name",
        "Sdk Message Filter",
        columns(
            *system("sdkmessagefilterid", owned=False),
            s("name", 256),
            lookup("sdkmessageid", "sdkmessage"),
            s("primaryobjecttypecode", 100),
            s("secondaryobjecttypecode", 100),
            Column("iscustomprocessingstepallowed", BOOL),
        ),
        change_tracking=False,
    )
    step = Table(
        "sdkmessageprocessingstep",
        "sdkmessageprocessingsteps",
        "sdkmessageprocessingstepid",
        "name",
        "Sdk Message Processing Step",
        columns(
            *system("sdkmessageprocessingstepid", state=o.STEP_STATE, status=o.STEP_STATUS, owned=False),
            s("name", 256, required=True),
            lookup("sdkmessageid", "sdkmessage", required=True),
            lookup("sdkmessagefilterid", "sdkmessagefilter"),
            lookup("eventhandler", "serviceendpoint", nav="eventhandler_serviceendpoint", required=True),
            Column("stage", PICK, options=o.STEP_STAGE, required=True),
            Column("mode", PICK, options=o.STEP_MODE, required=True),
            Column("rank", INT),
            s("filteringattributes", 100000),
            Column("asyncautodelete", BOOL),
            Column("supporteddeployment", PICK),
            Column("description", MEMO, max_length=256),
        ),
        change_tracking=False,
    )
    image = Table(
        "sdkmessageprocessingstepimage",
        "sdkmessageprocessingstepimages",
        "sdkmessageprocessingstepimageid",
        "name",
        "Sdk Message Processing Step Image",
        columns(
            *system("sdkmessageprocessingstepimageid", owned=False),
            s("name", 256),
            lookup("sdkmessageprocessingstepid", "sdkmessageprocessingstep", required=True),
            Column("imagetype", PICK, options=o.IMAGE_TYPE),
            s("entityalias", 256),
            s("attributes", 100000),
            s("messagepropertyname", 256),
        ),
        change_tracking=False,
    )
    job = Table(
        "asyncoperation",
        "asyncoperations",
        "asyncoperationid",
        "name",
        "System Job",
        columns(
            *system("asyncoperationid", state=o.ASYNC_STATE, status=o.ASYNC_STATUS, owned=False),
            s("name", 256),
            Column("operationtype", INT),
            Column("message", MEMO, max_length=100000),
            Column("friendlymessage", MEMO, max_length=100000),
            Column("completedon", DT),
            lookup("owningextensionid", "sdkmessageprocessingstep"),
            Column("errorcode", INT),
        ),
        change_tracking=False,
    )
    return [endpoint, message, message_filter, step, image, job]


TABLES: dict[str, Table] = {t.logical_name: t for t in _tables()}
BY_SET: dict[str, Table] = {t.set_name: t for t in TABLES.values()}
