"""Writing rows as Dataverse does: payload checks, binds, deep insert, state codes, computed columns,
row versions, cascades, and the recalculation of order and invoice totals."""

from __future__ import annotations

import uuid
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from ferry.sandboxes.dynamics365.closing import refuse_closing_update
from ferry.sandboxes.dynamics365.errors import (
    BATCH_CONTENT_ID,
    DUPLICATE_KEY,
    DUPLICATE_RECORD,
    INVALID_ARGUMENT,
    ODATA_PARSE,
    ODataError,
    bad_request,
    not_found,
    unknown_property,
)
from ferry.sandboxes.dynamics365.paths import reference_target, resolve_key
from ferry.sandboxes.dynamics365.schema import Kind, Table
from ferry.sandboxes.dynamics365.store import Change, KeyConflict, Ref, Row
from ferry.sandboxes.dynamics365.values import from_json

if TYPE_CHECKING:
    from ferry.sandboxes.dynamics365.service import DataverseService

ContentIds = dict[str, Ref]
_CENTS = Decimal("0.01")
_LINE_TABLES = {"salesorderdetail": "salesorderid", "invoicedetail": "invoiceid"}
_SYSTEM_COLUMNS = ("createdon", "modifiedon", "createdby", "modifiedby", "versionnumber")


class Writer:
    def __init__(self, svc: DataverseService) -> None:
        self.svc = svc
        self.store = svc.store

    # --- public operations -------------------------------------------------------------------

    def create(
        self,
        table: Table,
        body: dict[str, Any],
        caller: Ref,
        content_ids: ContentIds | None = None,
        *,
        row_id: str | None = None,
        key_values: dict[str, Any] | None = None,
    ) -> Row:
        values, deep_single, deep_many, binds_many = self._payload(table, body, caller, content_ids or {})
        for name, value in (key_values or {}).items():
            values.setdefault(name, value)  # on create, body values win over the key in the URL
        given_id = values.pop(table.primary_id, None)
        row_id = (row_id or given_id or str(uuid.uuid4())).lower()
        if self.store.get(table.logical_name, row_id) is not None:
            raise ODataError(412, DUPLICATE_RECORD, "A record with matching key values already exists.")
        for nav, payload in deep_single:
            column, target = table.navigation(nav)  # type: ignore[misc]
            child = self.create(self.svc.tables[target], payload, caller, content_ids)
            values[column.name] = Ref(target, child[self.svc.tables[target].primary_id])
        now = self.svc.clock.now()
        row: Row = {c: None for c in table.columns}
        row.update(values)
        row[table.primary_id] = row_id
        row["createdon"] = values.pop("overriddencreatedon", None) or now
        row["modifiedon"] = now
        row["createdby"] = row["modifiedby"] = caller
        if "ownerid" in table.columns and row.get("ownerid") is None:
            row["ownerid"] = caller
        if "transactioncurrencyid" in table.columns and row.get("transactioncurrencyid") is None:
            row["transactioncurrencyid"] = self.svc.base_currency
        self._stamp_rate(table, row, values, None)
        if table.autonumber and not row.get(table.autonumber[0]):
            row[table.autonumber[0]] = self.svc.next_number(table.autonumber[1])
        self._apply_state(table, row, values, None)
        self._derive(table, row)
        self._check_required(table, row)
        row["versionnumber"] = self.store.next_version()
        self._put(table, row)
        self.store.record(
            Change(
                "Create",
                table.logical_name,
                row_id,
                None,
                dict(row),
                tuple([*values, table.primary_id, *_SYSTEM_COLUMNS]),
            )
        )
        parent = Ref(table.logical_name, row_id)
        for relationship, items in deep_many:
            rel = table.relationship(relationship)
            assert rel is not None
            for item in items:
                self.create(
                    self.svc.tables[rel.child], item, caller, content_ids, key_values={rel.child_column: parent}
                )
        for relationship, refs in binds_many:
            self._associate(table, row_id, relationship, refs, caller)
        self._after_write(table, row, caller)
        return self.store.get(table.logical_name, row_id) or row

    def update(
        self,
        table: Table,
        row_id: str,
        body: dict[str, Any],
        caller: Ref,
        content_ids: ContentIds | None = None,
        *,
        strip: frozenset[str] = frozenset(),
        closing: bool = False,
    ) -> Row:
        """Update a row; `closing` is for the actions that may close it (`FulfillSalesOrder`...)."""
        before = self.store.get(table.logical_name, row_id)
        if before is None:
            raise not_found(table, row_id)
        values, deep_single, deep_many, binds_many = self._payload(table, body, caller, content_ids or {})
        if not closing:
            refuse_closing_update(table.logical_name, values)
        if deep_single or deep_many:
            raise bad_request("Deep insert is only supported when creating a record.")
        for name in strip | {table.primary_id}:
            values.pop(name, None)  # key columns named in the URL are not updated from the body
        row = dict(before)
        row.update(values)
        row["modifiedon"] = self.svc.clock.now()
        row["modifiedby"] = caller
        self._apply_state(table, row, values, before)
        self._stamp_rate(table, row, values, before)
        self._derive(table, row)
        self._check_required(table, row)
        row["versionnumber"] = self.store.next_version()
        self._put(table, row)
        self.store.record(
            Change(
                "Update",
                table.logical_name,
                row_id,
                before,
                dict(row),
                tuple([*values, "modifiedon", "modifiedby", "versionnumber"]),
            )
        )
        for relationship, refs in binds_many:
            self._associate(table, row_id, relationship, refs, caller)
        self._after_write(table, row, caller)
        return self.store.get(table.logical_name, row_id) or row

    def delete(self, table: Table, row_id: str, caller: Ref) -> None:
        before = self.store.get(table.logical_name, row_id)
        if before is None:
            raise not_found(table, row_id)
        me = Ref(table.logical_name, row_id)
        for rel in table.relationships:
            children = [r for r in self.store.rows[rel.child].values() if r.get(rel.child_column) == me]
            if children and rel.on_delete == "restrict":
                raise ODataError(
                    405,
                    "0x80040228",
                    "The object you tried to delete is associated with another object and cannot be deleted.",
                )
        for rel in table.relationships:
            child_table = self.svc.tables[rel.child]
            for child in [r for r in self.store.rows[rel.child].values() if r.get(rel.child_column) == me]:
                if rel.on_delete == "cascade":
                    self.delete(child_table, child[child_table.primary_id], caller)
        self.store.remove(table.logical_name, row_id, self.svc.clock.now())
        self.store.record(Change("Delete", table.logical_name, row_id, before, None))
        self._clear_links(me, caller)
        self._after_write(table, before, caller)

    def set_lookup(self, table: Table, row_id: str, nav: str, url: str | None, caller: Ref) -> Row:
        """`PUT …/nav/$ref` and `DELETE …/nav/$ref`."""
        return self.update(table, row_id, {f"{nav}@odata.bind": url}, caller)

    # --- payload -----------------------------------------------------------------------------

    def _payload(
        self, table: Table, body: dict[str, Any], caller: Ref, content_ids: ContentIds
    ) -> tuple[
        dict[str, Any],
        list[tuple[str, dict[str, Any]]],
        list[tuple[str, list[dict[str, Any]]]],
        list[tuple[str, list[Ref]]],
    ]:
        values: dict[str, Any] = {}
        deep_single: list[tuple[str, dict[str, Any]]] = []
        deep_many: list[tuple[str, list[dict[str, Any]]]] = []
        binds_many: list[tuple[str, list[Ref]]] = []
        for key, value in body.items():
            if key.startswith("@"):
                continue  # @odata.type, @odata.etag and other instance annotations
            if key.endswith("@odata.bind"):
                name = key[: -len("@odata.bind")]
                nav = table.navigation(name)
                if nav is not None:
                    column, target = nav
                    values[column.name] = None if value is None else self._resolve(value, target, content_ids)
                    continue
                rel = table.relationship(name)
                if rel is not None and isinstance(value, list):
                    binds_many.append((name, [self._resolve(v, rel.child, content_ids) for v in value]))
                    continue
                raise unknown_property(name, table)
            if "@" in key:
                continue  # property annotations such as name@OData.Community.Display.V1.FormattedValue
            if table.navigation(key) is not None:
                if not isinstance(value, dict):
                    raise bad_request(
                        f'\'{key}\' is a navigation property; set it with "{key}@odata.bind": "/<set>(<id>)", '
                        "or send an object to create the related record."
                    )
                deep_single.append((key, value))
                continue
            if table.relationship(key) is not None:
                if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
                    raise bad_request(f"'{key}' is a collection navigation property; send an array of records.")
                deep_many.append((key, value))
                continue
            found = table.columns.get(key)
            if found is None or found.is_lookup:
                if table.by_wire_name(key) is not None or (found is not None and found.is_lookup):
                    raise bad_request(
                        "CRM do not support direct update of Entity Reference properties, Use Navigation properties "
                        "instead.",
                        ODATA_PARSE,
                    )
                raise unknown_property(key, table)
            if found.read_only or found.name in _SYSTEM_COLUMNS:
                continue  # Dataverse ignores values for columns that are not valid for create or update
            values[found.name] = from_json(table, found, value)
        return values, deep_single, deep_many, binds_many

    def _resolve(self, url: Any, target: str, content_ids: ContentIds) -> Ref:
        if not isinstance(url, str):
            raise bad_request('An @odata.bind value must be a URL string such as "/accounts(<guid>)".')
        if url.startswith("$"):
            ref = content_ids.get(url.split("/")[0])
            if ref is None:
                raise ODataError(
                    400, BATCH_CONTENT_ID, f"Content-ID Reference: '{url}' does not exist in the batch context."
                )
        else:
            set_name, key = reference_target(url)
            table = self.svc.by_set.get(set_name)
            if table is None:
                raise ODataError(404, ODATA_PARSE, f"Resource not found for the segment '{set_name}'.")
            resolved = resolve_key(table, key)
            row_id = self.store.find_by_key(table.logical_name, resolved)
            if row_id is None:
                shown = ",".join(f"{k}:{v}" for k, v in resolved.items())
                raise not_found(table, resolved.get(table.primary_id, shown))
            ref = Ref(table.logical_name, row_id)
        if ref.table != target:
            raise bad_request(f"The record {url} is a {ref.table}; this navigation property expects a {target}.")
        return ref

    def _associate(self, table: Table, row_id: str, relationship: str, refs: list[Ref], caller: Ref) -> None:
        rel = table.relationship(relationship)
        assert rel is not None
        child_table = self.svc.tables[rel.child]
        nav = next(
            n for n, (c, t) in child_table.navigations.items() if c.name == rel.child_column and t == table.logical_name
        )
        for ref in refs:
            self.update(child_table, ref.id, {f"{nav}@odata.bind": f"/{table.set_name}({row_id})"}, caller)

    # --- rules -------------------------------------------------------------------------------

    def _apply_state(self, table: Table, row: Row, values: dict[str, Any], before: Row | None) -> None:
        state_col, status_col = table.columns.get("statecode"), table.columns.get("statuscode")
        if state_col is None or status_col is None:
            return
        state = values.get("statecode", before.get("statecode") if before else None)
        status = values.get("statuscode")
        if state is None:
            state = state_col.options[0].value
        if status in (None, -1) or ("statecode" in values and "statuscode" not in values):
            status = next(o.default_status for o in state_col.options if o.value == state)
        option = next((o for o in status_col.options if o.value == status), None)
        if option is None or option.state != state:
            state_label = next((o.label for o in state_col.options if o.value == state), state)
            raise bad_request(
                f"{status} is not a valid status code for state code {table.logical_name.capitalize()}State."
                f"{state_label} on {table.logical_name} with Id {row[table.primary_id]}.",
                INVALID_ARGUMENT,
            )
        row["statecode"], row["statuscode"] = state, status

    def _stamp_rate(self, table: Table, row: Row, values: dict[str, Any], before: Row | None) -> None:
        """Dataverse copies the currency's current rate onto the record when it is created, when its
        currency changes, and when a money value of an active record changes; never otherwise, so a
        later change to the currency's rate leaves existing records as they were."""
        if "exchangerate" not in table.columns:
            return
        money_changed = any(table.columns[c].kind is Kind.MONEY for c in values if c in table.columns)
        active = row.get("statecode") in (0, None)
        if before is not None and "transactioncurrencyid" not in values and not (money_changed and active):
            return
        currency = row.get("transactioncurrencyid")
        found = self.store.get(currency.table, currency.id) if isinstance(currency, Ref) else None
        row["exchangerate"] = found.get("exchangerate") if found is not None else None

    def _check_required(self, table: Table, row: Row) -> None:
        missing = [c.name for c in table.columns.values() if c.required and row.get(c.name) in (None, "")]
        if missing:
            raise bad_request(
                f"Required field{'s' if len(missing) > 1 else ''} {', '.join(repr(m) for m in missing)} "
                f"missing for {table.logical_name}: every {table.display_name.lower()} needs "
                f"{'them' if len(missing) > 1 else 'it'}.",
                INVALID_ARGUMENT,
            )

    def _put(self, table: Table, row: Row) -> None:
        try:
            self.store.put(table.logical_name, row)
        except KeyConflict as exc:
            labels = ", ".join(table.columns[c].label or c for c in exc.key)
            raise ODataError(
                412,
                DUPLICATE_KEY,
                f"A record that has the attribute values {labels} already exists. The entity key "
                f"{table.display_name} Key requires that this set of attributes contains unique values. "
                "Select unique values and try again.",
            ) from None

    def _derive(self, table: Table, row: Row) -> None:
        """Columns the server computes (read-only on the wire)."""
        name = table.logical_name
        if name in ("contact", "systemuser"):
            row["fullname"] = " ".join(p for p in (row.get("firstname"), row.get("lastname")) if p) or None
        for prefix in ("address1", "address2"):
            if f"{prefix}_composite" in table.columns:
                row[f"{prefix}_composite"] = _composite(row, prefix)
        base_amounts(table, row)
        if name in _LINE_TABLES:
            self._derive_line(row)
        elif name == "msdyn_purchaseorderproduct":
            qty, cost = row.get("msdyn_quantity"), row.get("msdyn_unitcost")
            row["msdyn_totalcost"] = (qty * cost).quantize(_CENTS) if qty is not None and cost is not None else None
        elif name == "msdyn_productinventory":
            onhand, allocated = row.get("msdyn_qtyonhand") or 0, row.get("msdyn_qtyallocated") or 0
            row["msdyn_qtyavailable"] = Decimal(onhand) - Decimal(allocated)

    def _derive_line(self, row: Row) -> None:
        product_ref = row.get("productid")
        product = self.store.get("product", product_ref.id) if isinstance(product_ref, Ref) else None
        if product is not None:
            row["productname"] = product.get("name")
            if row.get("uomid") is None:
                row["uomid"] = product.get("defaultuomid")
            if not row.get("ispriceoverridden") and row.get("priceperunit") is None:
                row["priceperunit"] = product.get("price")
        else:
            row["productname"] = row.get("productdescription")
            row["isproductoverridden"] = True
        quantity = row.get("quantity") or Decimal(0)
        price = row.get("priceperunit") or Decimal(0)
        base = (quantity * price).quantize(_CENTS)
        row["baseamount"] = base
        row["extendedamount"] = (base - (row.get("manualdiscountamount") or 0) + (row.get("tax") or 0)).quantize(_CENTS)

    def _after_write(self, table: Table, row: Row, caller: Ref) -> None:
        parent_column = _LINE_TABLES.get(table.logical_name)
        if parent_column is not None:
            self._recalculate(row.get(parent_column), table.logical_name, parent_column, caller)
        elif table.logical_name == "msdyn_purchaseorderproduct":
            self._recalculate_po(row.get("msdyn_purchaseorder"), caller)

    def _recalculate(self, parent: Any, line_table: str, parent_column: str, caller: Ref) -> None:
        if not isinstance(parent, Ref):
            return
        before = self.store.get(parent.table, parent.id)
        if before is None:
            return
        lines = [r for r in self.store.rows[line_table].values() if r.get(parent_column) == parent]
        row = dict(before)
        row["totallineitemamount"] = sum((r.get("extendedamount") or Decimal(0) for r in lines), Decimal(0))
        row["totaltax"] = sum((r.get("tax") or Decimal(0) for r in lines), Decimal(0))
        row["totaldiscountamount"] = (row.get("discountamount") or Decimal(0)) + sum(
            (r.get("manualdiscountamount") or Decimal(0) for r in lines), Decimal(0)
        )
        row["totalamount"] = (
            row["totallineitemamount"] - (row.get("discountamount") or 0) + (row.get("freightamount") or 0)
        ).quantize(_CENTS)
        table = self.svc.tables[parent.table]
        totals = ("totallineitemamount", "totaltax", "totaldiscountamount", "totalamount")
        self._system_update(table, before, row, caller, (*totals, *base_amounts(table, row)))

    def _recalculate_po(self, parent: Any, caller: Ref) -> None:
        if not isinstance(parent, Ref) or (before := self.store.get(parent.table, parent.id)) is None:
            return
        lines = [
            r for r in self.store.rows["msdyn_purchaseorderproduct"].values() if r.get("msdyn_purchaseorder") == parent
        ]
        row = dict(before)
        row["msdyn_totalamount"] = sum((r.get("msdyn_totalcost") or Decimal(0) for r in lines), Decimal(0))
        self._system_update(self.svc.tables[parent.table], before, row, caller, ("msdyn_totalamount",))

    def _system_update(self, table: Table, before: Row, row: Row, caller: Ref, columns: tuple[str, ...]) -> None:
        if all(before.get(c) == row.get(c) for c in columns):
            return
        row["modifiedon"], row["modifiedby"] = self.svc.clock.now(), caller
        row["versionnumber"] = self.store.next_version()
        self.store.put(table.logical_name, row)
        self.store.record(
            Change(
                "Update",
                table.logical_name,
                row[table.primary_id],
                before,
                dict(row),
                (*columns, "modifiedon", "modifiedby", "versionnumber"),
            )
        )

    def _clear_links(self, deleted: Ref, caller: Ref) -> None:
        """Lookups that pointed at a deleted row are emptied (Dataverse's "remove link" cascade)."""
        for table in self.svc.tables.values():
            lookups = [c.name for c in table.columns.values() if c.kind is Kind.LOOKUP and deleted.table in c.targets]
            if not lookups:
                continue
            for row in list(self.store.rows[table.logical_name].values()):
                hit = [c for c in lookups if row.get(c) == deleted]
                if hit:
                    updated = dict(row)
                    for c in hit:
                        updated[c] = None
                    self._system_update(table, row, updated, caller, tuple(hit))


def base_amounts(table: Table, row: Row) -> tuple[str, ...]:
    """Compute the `_base` twin of each money column (amount / exchangerate, to the cent, half up, as the
    platform rounds money); return the names of the twins."""
    names = tuple(c for c in table.columns if c.endswith("_base") and c[: -len("_base")] in table.columns)
    rate = row.get("exchangerate")
    for name in names:
        amount = row.get(name[: -len("_base")])
        row[name] = None if amount is None or not rate else (amount / rate).quantize(_CENTS, ROUND_HALF_UP)
    return names


def _composite(row: Row, prefix: str) -> str | None:
    """Dataverse's read-only composite address: street lines, then "city, state postal", then country."""
    lines = [row.get(f"{prefix}_line{n}") for n in (1, 2, 3)]
    city, state, postal = (row.get(f"{prefix}_{p}") for p in ("city", "stateorprovince", "postalcode"))
    locality = ", ".join(p for p in (city, " ".join(q for q in (state, postal) if q)) if p)
    parts = [p for p in (*lines, locality, row.get(f"{prefix}_country")) if p]
    return "\r\n".join(parts) if parts else None
