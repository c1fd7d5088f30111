"""How a Dataverse table is described: columns, keys, lookups and relationships.

The sandbox serves `$metadata`, validates payloads and evaluates queries from these descriptions, so
each table is declared once (in `tables.py`) and every behaviour follows from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Kind(Enum):
    """Column kinds (Dataverse's AttributeType)."""

    STRING = "String"
    MEMO = "Memo"
    GUID = "Uniqueidentifier"
    INT = "Integer"
    BIGINT = "BigInt"
    DECIMAL = "Decimal"
    MONEY = "Money"
    DOUBLE = "Double"
    BOOL = "Boolean"
    DATETIME = "DateTime"
    DATE = "DateOnly"
    PICKLIST = "Picklist"
    STATE = "State"
    STATUS = "Status"
    LOOKUP = "Lookup"

    @property
    def edm(self) -> str:
        """The EDM type of the column's value on the wire (a lookup's `_x_value` is a Guid)."""
        return _EDM[self]


_EDM = {
    Kind.STRING: "Edm.String",
    Kind.MEMO: "Edm.String",
    Kind.GUID: "Edm.Guid",
    Kind.INT: "Edm.Int32",
    Kind.BIGINT: "Edm.Int64",
    Kind.DECIMAL: "Edm.Decimal",
    Kind.MONEY: "Edm.Decimal",
    Kind.DOUBLE: "Edm.Double",
    Kind.BOOL: "Edm.Boolean",
    Kind.DATETIME: "Edm.DateTimeOffset",
    Kind.DATE: "Edm.Date",
    Kind.PICKLIST: "Edm.Int32",
    Kind.STATE: "Edm.Int32",
    Kind.STATUS: "Edm.Int32",
    Kind.LOOKUP: "Edm.Guid",
}

CHOICE_KINDS = frozenset({Kind.PICKLIST, Kind.STATE, Kind.STATUS})
NUMBER_KINDS = frozenset({Kind.INT, Kind.BIGINT, Kind.DECIMAL, Kind.MONEY, Kind.DOUBLE}) | CHOICE_KINDS


@dataclass(frozen=True, slots=True)
class Option:
    value: int
    label: str
    #: For status options: the state they belong to. For state options: their default status.
    state: int | None = None
    default_status: int | None = None


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a table.

    A lookup column named `x` is read as `_x_value`, set through the navigation property
    `nav` (`x` for system lookups, the SchemaName such as `msdyn_Vendor` for solution lookups) with
    `nav@odata.bind`, and may point at several tables (`customerid` -> account or contact, bound
    through `customerid_account` / `customerid_contact`).
    """

    name: str
    kind: Kind
    label: str = ""
    max_length: int | None = None
    required: bool = False
    read_only: bool = False
    targets: tuple[str, ...] = ()
    options: tuple[Option, ...] = ()
    option_set: str | None = None
    precision: int = 2
    nav: str | None = None
    #: Written but never read back (IsValidForRead false), like a service endpoint's `authvalue` secret.
    write_only: bool = False
    #: A column the tenant added (IsCustomAttribute), named with its publisher's prefix (`new_`).
    custom: bool = False

    @property
    def is_lookup(self) -> bool:
        return self.kind is Kind.LOOKUP

    @property
    def wire_name(self) -> str:
        """The property name in JSON and in `$select`/`$filter`."""
        return f"_{self.name}_value" if self.is_lookup else self.name

    def nav_names(self) -> dict[str, str]:
        """Navigation property name -> target table, for a lookup."""
        base = self.nav or self.name
        if len(self.targets) == 1:
            return {base: self.targets[0]}
        return {f"{base}_{target}": target for target in self.targets}

    def option_values(self) -> frozenset[int]:
        return frozenset(o.value for o in self.options)


@dataclass(frozen=True, slots=True)
class Relationship:
    """A one-to-many relationship, seen from the "one" side as a collection navigation property."""

    name: str
    child: str
    child_column: str
    #: What deleting the parent does to children: delete them, refuse, or clear the lookup.
    on_delete: str = "removelink"


@dataclass(eq=False)  # compared and hashed by identity: each table is declared once
class Table:
    logical_name: str
    set_name: str
    primary_id: str
    primary_name: str
    display_name: str
    columns: dict[str, Column] = field(default_factory=dict)
    alternate_keys: tuple[tuple[str, ...], ...] = ()
    relationships: tuple[Relationship, ...] = ()
    change_tracking: bool = True
    optimistic_concurrency: bool = True
    #: Column whose value the server assigns on create when absent (order and invoice numbers).
    autonumber: tuple[str, str] | None = None

    def __post_init__(self) -> None:
        self._wire: dict[str, Column] = {c.wire_name: c for c in self.columns.values()}
        self._navs: dict[str, tuple[Column, str]] = {}
        for column in self.columns.values():
            if column.is_lookup:
                for nav, target in column.nav_names().items():
                    self._navs[nav] = (column, target)
        self._relationships = {r.name: r for r in self.relationships}

    def by_wire_name(self, name: str) -> Column | None:
        """The column behind a JSON/`$select` property name (`_x_value` for lookups)."""
        return self._wire.get(name)

    def navigation(self, name: str) -> tuple[Column, str] | None:
        """The lookup column and target table behind a single-valued navigation property."""
        return self._navs.get(name)

    def relationship(self, name: str) -> Relationship | None:
        return self._relationships.get(name)

    @property
    def navigations(self) -> dict[str, tuple[Column, str]]:
        return self._navs

    @property
    def entity_type(self) -> str:
        return f"Microsoft.Dynamics.CRM.{self.logical_name}"


def columns(*cols: Column) -> dict[str, Column]:
    return {c.name: c for c in cols}
