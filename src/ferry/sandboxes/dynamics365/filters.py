"""`$filter` for the Dataverse sandbox: a parser that type-checks against the table, and an evaluator.

The grammar is the part of OData 4.0 that Dataverse accepts: comparisons (`eq ne gt ge lt le`),
`and`/`or`/`not`, parentheses, `contains`/`startswith`/`endswith`, null checks, single-valued
navigation paths (`primarycontactid/fullname`), parameter aliases (`@p1`), and the
`Microsoft.Dynamics.CRM.*` query functions integration code uses most. Errors read like ODataLib's,
because clients and people match on those messages. String comparisons ignore case, as Dataverse's
SQL collation does.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from ferry.sandboxes.dynamics365.schema import NUMBER_KINDS, Column, Kind, Table


class QueryError(Exception):
    """A malformed or ill-typed query option; answered with 400 and this message."""


@dataclass(frozen=True, slots=True)
class Guid:
    value: str


@dataclass(frozen=True, slots=True)
class Prop:
    """A column, possibly reached through a single-valued navigation property."""

    column: Column
    nav: str | None = None
    nav_table: str | None = None
    #: The lookup column the navigation property follows.
    via: str | None = None


Getter = Callable[[dict[str, Any], Prop], Any]
Predicate = Callable[[dict[str, Any], Getter], bool]
Tables = Mapping[str, Table]

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^']|'')*')
      | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))
      | (?P<guid>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})(?![\w-])
      | (?P<date>\d{4}-\d{2}-\d{2})(?![\w:])
      | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[mMdDfFlL]?)(?![\w])
      | (?P<alias>@\w+)
      | (?P<name>[A-Za-z_][\w.]*(?:/[A-Za-z_][\w]*)*)
      | (?P<punct>[(),\[\]=:])
    )""",
    re.VERBOSE,
)
_COMPARE = {
    "eq": "Equal",
    "ne": "NotEqual",
    "gt": "GreaterThan",
    "ge": "GreaterThanOrEqual",
    "lt": "LessThan",
    "le": "LessThanOrEqual",
}
_STRING_FUNCS = ("contains", "startswith", "endswith")


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str
    text: str
    pos: int


def _tokenize(text: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise QueryError(f"Syntax error at position {pos} in '{text}'.")
        kind = m.lastgroup or "punct"
        tokens.append(_Tok(kind, m.group(kind), m.start(kind)))
        pos = m.end()
    return tokens


class _Parser:
    def __init__(self, text: str, table: Table, tables: Tables, aliases: Mapping[str, str], now: datetime) -> None:
        self.now = now
        self.text = text
        self.table = table
        self.tables = tables
        self.aliases = aliases
        self.tokens = _tokenize(text)
        self.i = 0

    # --- token helpers ---

    def peek(self) -> _Tok | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> _Tok:
        tok = self.peek()
        if tok is None:
            raise QueryError(f"Syntax error: unexpected end of expression in '{self.text}'.")
        self.i += 1
        return tok

    def expect(self, text: str) -> None:
        tok = self.take()
        if tok.text != text:
            raise QueryError(f"Syntax error at position {tok.pos} in '{self.text}': expected '{text}'.")

    def at_word(self, *words: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.kind == "name" and tok.text in words

    # --- grammar ---

    def parse(self) -> Predicate:
        pred = self.or_expr()
        if (tok := self.peek()) is not None:
            raise QueryError(f"Syntax error at position {tok.pos} in '{self.text}'.")
        return pred

    def or_expr(self) -> Predicate:
        left = self.and_expr()
        while self.at_word("or"):
            self.take()
            right = self.and_expr()
            left = _or(left, right)
        return left

    def and_expr(self) -> Predicate:
        left = self.not_expr()
        while self.at_word("and"):
            self.take()
            right = self.not_expr()
            left = _and(left, right)
        return left

    def not_expr(self) -> Predicate:
        if self.at_word("not"):
            self.take()
            inner = self.not_expr()
            return lambda rec, get: not inner(rec, get)
        return self.primary()

    def primary(self) -> Predicate:
        tok = self.peek()
        if tok is not None and tok.text == "(":
            self.take()
            inner = self.or_expr()
            self.expect(")")
            return inner
        if tok is not None and tok.kind == "name" and tok.text in _STRING_FUNCS:
            return self.string_function()
        if tok is not None and tok.kind == "name" and tok.text.startswith("Microsoft.Dynamics.CRM."):
            return self.crm_function()
        return self.comparison()

    def comparison(self) -> Predicate:
        left_tok = self.take()
        op_tok = self.take()
        if op_tok.kind != "name" or op_tok.text not in _COMPARE:
            raise QueryError(f"Syntax error at position {op_tok.pos} in '{self.text}'.")
        right_tok = self.take()
        op = op_tok.text
        if left_tok.kind == "name" and left_tok.text not in ("null", "true", "false"):
            prop, literal_tok, flipped = self.prop(left_tok), right_tok, False
        elif right_tok.kind == "name" and right_tok.text not in ("null", "true", "false"):
            prop, literal_tok, flipped = self.prop(right_tok), left_tok, True
        else:
            raise QueryError(
                f"Syntax error at position {left_tok.pos} in '{self.text}': a comparison needs a property."
            )
        value = self.literal(literal_tok)
        value = _coerce(prop.column, value, op)
        if flipped:
            op = {"gt": "lt", "lt": "gt", "ge": "le", "le": "ge"}.get(op, op)
        predicate = _compare(prop, op, value)
        if op == "eq" and prop.nav is None and prop.column.name == self.table.primary_id and value is not None:
            _KEYS[predicate] = frozenset({str(value).lower()})
            _EXACT[predicate] = prop
        return predicate

    def string_function(self) -> Predicate:
        name = self.take().text
        self.expect("(")
        prop = self.prop(self.take())
        self.expect(",")
        value = self.literal(self.take())
        self.expect(")")
        if prop.column.kind not in (Kind.STRING, Kind.MEMO) or not isinstance(value, str):
            raise QueryError(
                f"No function signature for the function with name '{name}' matches the specified arguments."
            )
        needle = value.casefold()
        test: Callable[[str], bool] = {
            "contains": lambda v: needle in v,
            "startswith": lambda v: v.startswith(needle),
            "endswith": lambda v: v.endswith(needle),
        }[name]

        def pred(rec: dict[str, Any], get: Getter) -> bool:
            v = get(rec, prop)
            return isinstance(v, str) and test(v.casefold())

        return pred

    def crm_function(self) -> Predicate:
        tok = self.take()
        name = tok.text.removeprefix("Microsoft.Dynamics.CRM.")
        self.expect("(")
        args: dict[str, Any] = {}
        while True:
            key = self.take()
            self.expect("=")
            if (nxt := self.peek()) is not None and nxt.text == "[":
                self.take()
                items = []
                while (t := self.take()).text != "]":
                    if t.text != ",":
                        items.append(self.literal(t))
                args[key.text] = items
            else:
                args[key.text] = self.literal(self.take())
            if self.take().text == ")":
                break
        return _crm_function(name, args, self)

    # --- operands ---

    def prop(self, tok: _Tok) -> Prop:
        if tok.kind != "name":
            raise QueryError(f"Syntax error at position {tok.pos} in '{self.text}': expected a property name.")
        parts = tok.text.split("/")
        if len(parts) == 1:
            return Prop(self._column(self.table, parts[0]))
        if len(parts) == 2:
            nav = self.table.navigation(parts[0])
            if nav is None:
                raise QueryError(_unknown_property(parts[0], self.table))
            target = self.tables[nav[1]]
            return Prop(self._column(target, parts[1]), parts[0], target.logical_name, nav[0].name)
        raise QueryError(f"The filter path '{tok.text}' is too deep; use one navigation property at most.")

    def _column(self, table: Table, name: str) -> Column:
        column = table.by_wire_name(name)
        if column is None:
            if table.navigation(name) or table.relationship(name):
                raise QueryError(
                    f"The navigation property '{name}' cannot be compared directly; compare a property of it."
                )
            raise QueryError(_unknown_property(name, table))
        return column

    def literal(self, tok: _Tok) -> Any:
        if tok.kind == "alias":
            raw = self.aliases.get(tok.text)
            if raw is None:
                raise QueryError(f"The parameter alias '{tok.text}' is not defined in the query.")
            sub = _tokenize(raw)
            if len(sub) != 1:
                raise QueryError(f"The value of parameter alias '{tok.text}' is not a single literal.")
            return self.literal(sub[0])
        if tok.kind == "string":
            return tok.text[1:-1].replace("''", "'")
        if tok.kind == "number":
            return _number(tok.text)
        if tok.kind == "guid":
            return Guid(tok.text.lower())
        if tok.kind == "datetime":
            return datetime.fromisoformat(tok.text.replace("Z", "+00:00")).astimezone(UTC)
        if tok.kind == "date":
            return date.fromisoformat(tok.text)
        if tok.kind == "name" and tok.text in ("true", "false"):
            return tok.text == "true"
        if tok.kind == "name" and tok.text == "null":
            return None
        raise QueryError(f"Syntax error at position {tok.pos} in '{self.text}': expected a literal value.")


def _number(text: str) -> int | Decimal:
    core = text.rstrip("mMdDfFlL")
    try:
        return int(core) if re.fullmatch(r"-?\d+", core) else Decimal(core)
    except InvalidOperation:  # pragma: no cover - the token pattern only admits numbers
        raise QueryError(f"'{text}' is not a valid number.") from None


def _unknown_property(name: str, table: Table) -> str:
    return f"Could not find a property named '{name}' on type '{table.entity_type}'."


def _edm_of(value: Any) -> str:
    if isinstance(value, bool):
        return "Edm.Boolean"
    if isinstance(value, int):
        return "Edm.Int32"
    if isinstance(value, Decimal):
        return "Edm.Decimal"
    if isinstance(value, str):
        return "Edm.String"
    if isinstance(value, Guid):
        return "Edm.Guid"
    if isinstance(value, datetime):
        return "Edm.DateTimeOffset"
    if isinstance(value, date):
        return "Edm.Date"
    return "Edm.Untyped"


def _coerce(column: Column, value: Any, op: str) -> Any:
    """Check the literal's type against the column, and convert it to the stored representation."""
    if value is None:
        return None
    kind = column.kind
    ok: bool
    if kind in (Kind.STRING, Kind.MEMO):
        ok = isinstance(value, str)
    elif kind in (Kind.GUID, Kind.LOOKUP):
        ok = isinstance(value, Guid)
        value = value.value if ok else value
    elif kind is Kind.BOOL:
        ok = isinstance(value, bool)
    elif kind in NUMBER_KINDS:
        ok = isinstance(value, int | Decimal) and not isinstance(value, bool)
        value = Decimal(value) if ok else value
    elif kind is Kind.DATETIME:
        ok = isinstance(value, datetime | date)
        if ok and not isinstance(value, datetime):
            value = datetime(value.year, value.month, value.day, tzinfo=UTC)
    elif kind is Kind.DATE:
        ok = isinstance(value, date) and not isinstance(value, datetime)
    else:  # pragma: no cover - every kind is listed above
        ok = False
    if not ok:
        raise QueryError(
            "A binary operator with incompatible types was detected. Found operand types "
            f"'{kind.edm}' and '{_edm_of(value)}' for operator kind '{_COMPARE[op]}'."
        )
    return value


def _sortable(value: Any) -> Any:
    if isinstance(value, str):
        return value.casefold()
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return Decimal(value)
    return value


def _compare(prop: Prop, op: str, value: Any) -> Predicate:
    target = _sortable(value)

    def pred(rec: dict[str, Any], get: Getter) -> bool:
        actual = get(rec, prop)
        if value is None or actual is None:
            if op == "eq":
                return actual is None and value is None
            if op == "ne":
                return (actual is None) != (value is None)
            return False
        a = _sortable(actual)
        if op == "eq":
            return bool(a == target)
        if op == "ne":
            return bool(a != target)
        try:
            return bool({"gt": a > target, "ge": a >= target, "lt": a < target, "le": a <= target}[op])
        except TypeError:
            return False

    return pred


# Filters such as `accountid eq A or accountid eq B ...` (a client fetching rows by id) name their rows:
# remembering those ids lets the query read them by key instead of testing every row of the table.
_KEYS: weakref.WeakKeyDictionary[Predicate, frozenset[str]] = weakref.WeakKeyDictionary()


#: Predicates true exactly for the rows whose primary id (this property) is in their `_KEYS`.
_EXACT: weakref.WeakKeyDictionary[Predicate, Prop] = weakref.WeakKeyDictionary()


def primary_keys(predicate: Predicate) -> frozenset[str] | None:
    """The primary ids a filter is limited to, when it names them (None: it may match any row)."""
    return _KEYS.get(predicate)


def _and(a: Predicate, b: Predicate) -> Predicate:
    def both(rec: dict[str, Any], get: Getter) -> bool:
        return a(rec, get) and b(rec, get)

    ka, kb = _KEYS.get(a), _KEYS.get(b)
    if ka is not None and kb is not None:
        _KEYS[both] = ka & kb
    elif ka is not None:
        _KEYS[both] = ka
    elif kb is not None:
        _KEYS[both] = kb
    return both


def _or(a: Predicate, b: Predicate) -> Predicate:
    ka, kb = _KEYS.get(a), _KEYS.get(b)
    prop = _EXACT.get(a)
    if ka is not None and kb is not None and prop is not None and b in _EXACT:
        # `id eq A or id eq B or ...`: one set look-up per row, not a chain of a hundred comparisons.
        keys = ka | kb

        def among(rec: dict[str, Any], get: Getter) -> bool:
            return str(get(rec, prop)).lower() in keys

        _KEYS[among], _EXACT[among] = keys, prop
        return among

    def either(rec: dict[str, Any], get: Getter) -> bool:
        return a(rec, get) or b(rec, get)

    if ka is not None and kb is not None:
        _KEYS[either] = ka | kb
    return either


def _crm_function(name: str, args: dict[str, Any], parser: _Parser) -> Predicate:
    prop_name = args.get("PropertyName")
    if not isinstance(prop_name, str):
        raise QueryError(f"The function '{name}' needs a PropertyName parameter.")
    prop = Prop(parser._column(parser.table, prop_name))
    now = parser.now
    today = datetime(now.year, now.month, now.day, tzinfo=UTC)

    def coerce_all(values: list[Any]) -> list[Any]:
        return [_sortable(_coerce(prop.column, _as_typed(prop.column, v), "eq")) for v in values]

    def between(low: Any, high: Any) -> Predicate:
        def pred(rec: dict[str, Any], get: Getter) -> bool:
            v = get(rec, prop)
            return v is not None and low <= _sortable(v) <= high

        return pred

    if name in ("In", "NotIn"):
        values = args.get("PropertyValues")
        if not isinstance(values, list):
            raise QueryError(f"The function '{name}' needs a PropertyValues list.")
        wanted = set(coerce_all(values))
        negate = name == "NotIn"
        return lambda rec, get: (_sortable(get(rec, prop)) in wanted) != negate
    if name in ("Between", "NotBetween"):
        values = args.get("PropertyValues")
        if not isinstance(values, list) or len(values) != 2:
            raise QueryError(f"The function '{name}' needs exactly two PropertyValues.")
        low, high = coerce_all(values)
        inner = between(low, high)
        if name == "NotBetween":
            return lambda rec, get: not inner(rec, get)
        return inner
    span = {"LastXHours": timedelta(hours=1), "LastXDays": timedelta(days=1), "LastXWeeks": timedelta(weeks=1)}
    if name in span:
        count = _int_arg(name, args)
        return between(now - span[name] * count, now)
    if name in ("NextXDays", "NextXHours"):
        count = _int_arg(name, args)
        unit = timedelta(days=1) if name == "NextXDays" else timedelta(hours=1)
        return between(now, now + unit * count)
    if name in ("Today", "Yesterday", "Tomorrow"):
        start = today + timedelta(days={"Today": 0, "Yesterday": -1, "Tomorrow": 1}[name])
        return between(start, start + timedelta(days=1) - timedelta(microseconds=1))
    if name in ("On", "OnOrAfter", "OnOrBefore"):
        day = _as_typed(Column("x", Kind.DATETIME), args.get("PropertyValue"))
        if not isinstance(day, datetime):
            raise QueryError(f"The function '{name}' needs a PropertyValue date.")
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        end = start + timedelta(days=1) - timedelta(microseconds=1)
        low = start if name in ("On", "OnOrAfter") else datetime.min.replace(tzinfo=UTC)
        high = end if name in ("On", "OnOrBefore") else datetime.max.replace(tzinfo=UTC)
        return between(low, high)
    raise QueryError(f"The function 'Microsoft.Dynamics.CRM.{name}' is not supported by this sandbox.")


def _int_arg(name: str, args: dict[str, Any]) -> int:
    raw = args.get("PropertyValue")
    try:
        return int(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise QueryError(f"The function '{name}' needs an integer PropertyValue.") from None


def _as_typed(column: Column, value: Any) -> Any:
    """Query-function parameters arrive as strings ('2024-01-01'); read them as the column's type."""
    if not isinstance(value, str):
        return value
    if column.kind in (Kind.DATETIME, Kind.DATE):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise QueryError(f"'{value}' is not a valid date.") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    if column.kind in NUMBER_KINDS:
        try:
            return _number(value)
        except QueryError:
            raise
    if column.kind in (Kind.GUID, Kind.LOOKUP):
        return Guid(value.lower())
    return value


def parse_filter(
    text: str, table: Table, tables: Tables, aliases: Mapping[str, str] | None = None, *, now: datetime
) -> Predicate:
    """Compile `$filter` text for `table`; raises QueryError with an ODataLib-like message.

    `now` anchors the relative query functions (`LastXDays`, `Today`, …).
    """
    if not text.strip():
        raise QueryError("The $filter query option cannot be empty.")
    return _Parser(text, table, tables, aliases or {}, now).parse()


def sort_key(value: Any) -> tuple[int, Any]:
    """Order values as SQL Server does: nulls first, strings without regard to case."""
    return (0, 0) if value is None else (1, _sortable(value))
