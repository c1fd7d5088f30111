"""The mapping file format, the expression grammar and the context values: the language's specification.

The pydantic models below are the format. `schema.json` beside this module is generated from them
(`python -m ferry.mapping.reference --write`), and so are the format tables in `docs/mapping.md`; the
test suite fails when either is out of date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    StringConstraints,
    Tag,
    model_validator,
)

from ferry.mapping import rates

IfNull = Literal["write", "omit", "fail"]
#: An expression (see GRAMMAR); the JSON Schema marks it with `"format": "expression"`.
Expression = Annotated[str, StringConstraints(min_length=1), Field(json_schema_extra={"format": "expression"})]
Constant = StrictBool | StrictInt | Decimal | None
TableName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]

_IF_NULL = (
    "What to do when the value is null: `write` it as null, `omit` the field from the payload (so an update "
    "leaves the target's value alone), or `fail` the record (a required field)."
)


class FieldSpec(BaseModel):
    """A target field written out in full, when a bare expression is not enough."""

    model_config = ConfigDict(
        extra="forbid",
        title="Field",
        json_schema_extra={
            "examples": [
                {"value": "context.source_id", "create_only": True},
                {"value": "primarycontactid.emailaddress1", "default": "emailaddress1", "if_null": "omit"},
                {"const": "NET30", "create_only": True},
            ]
        },
    )

    value: Expression | None = Field(
        None, description="The expression that computes the field (see *Expressions*). Give `value` or `const`."
    )
    const: Any = Field(
        None,
        description="A constant written as is: text, a number, true/false, a list or an object. "
        "Give `value` or `const`.",
    )
    default: Expression | Constant = Field(
        None,
        description="Used when `value` is null: an expression (text) or a constant (a number, true/false). "
        "`default: \"'NET30'\"` is the text NET30.",
    )
    if_null: IfNull | None = Field(None, description=_IF_NULL + " Unset: the enclosing object's or the mapping's.")
    when: Expression | None = Field(
        None, description="Write the field only when this expression is true; otherwise leave it out of the payload."
    )
    create_only: bool = Field(
        False, description="Write the field only when the record is being created in the target, never on an update."
    )

    @model_validator(mode="after")
    def _one_source(self) -> FieldSpec:
        given = {"value", "const"} & self.model_fields_set
        if len(given) != 1:
            raise ValueError("give exactly one of `value` (an expression) or `const` (a constant)")
        return self


def _entry_kind(value: Any) -> str:
    return "field" if isinstance(value, dict) else "expression"


#: A field's entry: an expression (text), a constant (number, true/false, null), or a FieldSpec.
FieldEntry = Annotated[
    Annotated[StrictStr | Constant, Tag("expression")] | Annotated[FieldSpec, Tag("field")],
    Discriminator(_entry_kind),
]


class LookupSpec(BaseModel):
    """A table that turns one code into another, used with `lookup('name', key)`."""

    model_config = ConfigDict(
        extra="forbid",
        title="Lookup table",
        json_schema_extra={"examples": [{"values": {"1": "NET30", "4": "NET60"}, "default": "NET30"}]},
    )

    description: str | None = Field(None, description="What the table is for, for people.")
    values: dict[Any, Any] = Field(
        min_length=1,
        description="Key to value. Keys match by value and type: `1` matches 1 and 1.00, not the text '1' "
        "(convert with `integer()` first). A `null` key maps null; otherwise a null key gives null.",
    )
    default: Any = Field(None, description="The value for a key the table does not list.")
    strict: bool = Field(False, description="Fail the record on a key the table does not list, instead of `default`.")
    ignore_case: bool = Field(False, description="Match text keys without regard to case.")


Currency = Annotated[str, BeforeValidator(rates.currency_code), Field(json_schema_extra={"pattern": "^[A-Z]{3}$"})]
Rate = Annotated[Decimal, BeforeValidator(rates.rate_value)]
RateDate = Annotated[dt.date, BeforeValidator(rates.rate_date)]


class RateRowSpec(BaseModel):
    """One exchange rate: from `date` on, one `from` is worth `rate` `to`."""

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        title="Rate",
        json_schema_extra={"examples": [{"from": "EUR", "to": "USD", "rate": "1.0842", "date": "2026-11-01"}]},
    )

    from_: Currency = Field(alias="from", description="The currency converted from, an ISO 4217 code (`EUR`).")
    to: Currency = Field(description="The currency converted to (`USD`).")
    rate: Rate = Field(description="Units of `to` for one unit of `from`: an exact decimal (`1.0842`), more than 0.")
    date: RateDate = Field(description="The day the rate applies from, ISO 8601 (`2026-11-01`).")


class RatesSpec(BaseModel):
    """The exchange rates `convert()`, `rate()` and `rate_date()` use: rows written here, a CSV file, or both."""

    model_config = ConfigDict(
        extra="forbid",
        title="Rates",
        json_schema_extra={
            "examples": [
                {
                    "file": "rates/ecb.csv",
                    "rows": [{"from": "EUR", "to": "USD", "rate": "1.0842", "date": "2026-11-01"}],
                    "minor_units": {"CLP": 0},
                }
            ]
        },
    )

    description: str | None = Field(None, description="Where the rates come from, for people.")
    file: str | None = Field(
        None,
        description="A CSV file of rates, relative to the project (the folder with `ferry.yaml`; the mapping's "
        "folder outside a project), with the columns `from,to,rate,date` (others are ignored). Read and checked "
        "when the mapping loads.",
    )
    rows: list[RateRowSpec] = Field(default_factory=list, description="Rates written in the mapping.")
    minor_units: dict[Currency, Annotated[int, Field(ge=0, le=6)]] = Field(
        default_factory=dict,
        description="Decimal places of a currency's minor unit, where ISO 4217's (built in: 2 for most, 0 for "
        "JPY, 3 for KWD...) is not what the target system uses.",
    )

    @model_validator(mode="after")
    def _some_rates(self) -> RatesSpec:
        if self.file is None and not self.rows:
            raise ValueError("give `rows`, a `file`, or both")
        return self


class ObjectSpec(BaseModel):
    """Settings for a nested target object (the part of dotted field names before the last dot)."""

    model_config = ConfigDict(
        extra="forbid",
        title="Object",
        json_schema_extra={"examples": [{"if_empty": "omit"}, {"when": "LastName != null", "if_null": "write"}]},
    )

    description: str | None = Field(None, description="What the object is, for people.")
    if_empty: Literal["keep", "omit", "null"] = Field(
        "keep",
        description="When none of the object's fields has a value: `keep` it (`{}` or all nulls), `omit` it from "
        "the payload, or write `null`. Fields that `fail` on null are only checked when the object is kept.",
    )
    if_null: IfNull | None = Field(
        None, description=_IF_NULL + " For the fields inside, unless a field says otherwise."
    )
    when: Expression | None = Field(None, description="Write the object only when this expression is true.")
    create_only: bool = Field(False, description="Write the object only when the record is being created.")


class ListSpec(BaseModel):
    """A target list built item by item from a source list (order lines, journal lines)."""

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        title="List",
        json_schema_extra={
            "examples": [{"from": "order_lines", "fields": {"LineNo": "context.position", "Quantity": "quantity"}}]
        },
    )

    description: str | None = Field(None, description="What the list is, for people.")
    from_: Expression = Field(
        alias="from",
        description="The source list, an expression (`order_lines`, `primarycontactid.addresses`). Each of its "
        "items is an object; its fields are what the list's field expressions read. A null list writes nothing.",
    )
    if_null: IfNull | None = Field(None, description=_IF_NULL + " For the fields of each item.")
    when: Expression | None = Field(
        None, description="Write the list only when this expression (on the record) is true."
    )
    create_only: bool = Field(False, description="Write the list only when the record is being created.")
    fields: dict[str, FieldEntry] = Field(
        min_length=1,
        description="Each item's target fields, as under the mapping's `fields`, read from the source item. "
        "`context.parent` is the record the list belongs to and `context.position` the item's number (1, 2...).",
    )


class MappingSpec(BaseModel):
    """A mapping file: how one source record becomes one target payload."""

    model_config = ConfigDict(
        extra="forbid",
        title="Mapping",
        json_schema_extra={
            "examples": [
                {
                    "version": 1,
                    "if_null": "omit",
                    "fields": {"CompanyName": "trim(name)", "FirstName": "primarycontactid.firstname"},
                }
            ]
        },
    )

    version: Literal[1] = Field(description="The format version; 1.")
    name: str | None = Field(
        None, description="The mapping's name in messages; the file name without `.yaml` if unset."
    )
    description: str | None = Field(None, description="What the mapping does, for people.")
    source: str | None = Field(None, description="What it reads, for people, e.g. `dynamics365 accounts`.")
    target: str | None = Field(None, description="What it writes, for people, e.g. `tims customers`.")
    skip_when: Expression | None = Field(
        None,
        description="Records for which this expression is true are not written to the target (the engine counts "
        "them as skipped), e.g. `statecode == 2 and context.target_id == null`: a cancelled order never sent is "
        "not sent now.",
    )
    skip_reason: Expression | None = Field(
        None,
        description="Why a record is skipped, in words, for the audit and the console: an expression giving text, "
        "evaluated only when `skip_when` is true, e.g. `format('the shop does not sell {}', SKU)`.",
    )
    if_null: IfNull = Field(
        "write", description=_IF_NULL + " For every field, unless an object or field says otherwise."
    )
    lookups: dict[TableName, LookupSpec] = Field(default_factory=dict, description="Lookup tables by name.")
    rates: RatesSpec | None = Field(
        None, description="Exchange rates, for `convert()`, `rate()` and `rate_date()`; see *Currencies*."
    )
    objects: dict[str, ObjectSpec] = Field(
        default_factory=dict, description="Settings for nested target objects, by path (`primarycontactid`)."
    )
    lists: dict[str, ListSpec] = Field(
        default_factory=dict,
        description="Target lists (order lines...) by their field name, each built item by item from a source list.",
    )
    fields: dict[str, FieldEntry] = Field(
        min_length=1,
        description="Target field path to its value. The path is dotted for nested objects "
        "(`BillingAddress.City`); a dot after an `@` belongs to the name (`transactioncurrencyid@odata.bind`), "
        "and a `` `quoted` `` part may hold any character. The value is an expression (text), a constant "
        "(a number, true/false, null), or a Field.",
    )


@dataclass(frozen=True, slots=True)
class ContextValue:
    """A value the engine passes in `context`, read in expressions as `context.<name>`."""

    name: str
    description: str
    example: str


CONTEXT: tuple[ContextValue, ...] = (
    ContextValue(
        "source_id",
        "The id of the record being mapped, in the system it comes from.",
        "'00e6c7ec-7480-5340-a246-199fb8637bbe'",
    ),
    ContextValue(
        "target_id", "The id of the linked record in the target system; null when it is being created.", "10072"
    ),
    ContextValue("source_entity", "The entity the record comes from, in its system's own words.", "'accounts'"),
    ContextValue("target_entity", "The entity the payload is for.", "'customers'"),
    ContextValue("source_connection", "The name of the source connection in the project.", "'d365'"),
    ContextValue("target_connection", "The name of the target connection in the project.", "'tims'"),
    ContextValue("sync", "The name of the sync the mapping belongs to.", "'customers'"),
    ContextValue("direction", "`left_to_right` or `right_to_left`.", "'left_to_right'"),
    ContextValue(
        "parent",
        "Inside `lists:`, the record the list belongs to (the order, for a line).",
        "{'ordernumber': 'SO-1001', ...}",
    ),
    ContextValue("position", "Inside `lists:`, the item's place in its list: 1, 2, 3...", "1"),
    ContextValue(
        "now",
        "When the change is processed (a UTC date-time); mappings never read a clock themselves.",
        "2026-11-22T08:15:30Z",
    ),
)
CONTEXT_NAMES = frozenset(value.name for value in CONTEXT)

GRAMMAR = r"""
expression  = "if" expression "then" expression [ "else" expression ]
            | "case" [ expression ] ( "when" expression "then" expression )+ [ "else" expression ] "end"
            | or ;
or          = and { "or" and } ;
and         = not { "and" not } ;
not         = "not" not | comparison ;
comparison  = sum [ ( "==" | "!=" | "<" | "<=" | ">" | ">=" ) sum ] ;
sum         = product { ( "+" | "-" ) product } ;
product     = unary { ( "*" | "/" ) unary } ;
unary       = "-" unary | postfix ;
postfix     = primary { "." name | "[" expression "]" } ;
primary     = literal | name "(" [ expression { "," expression } ] ")" | name | "(" expression ")" ;
literal     = text | number | "true" | "false" | "null" ;
text        = "'" { character | escape } "'" | '"' { character | escape } '"' ;
escape      = "\n" | "\r" | "\t" | "\\" | "\'" | '\"' | "\u" hex hex hex hex ;
number      = digit { digit } [ "." digit { digit } ] ;
name        = ( letter | "_" ) { letter | digit | "_" } | "`" { any character but "`" } "`" ;
""".strip()
