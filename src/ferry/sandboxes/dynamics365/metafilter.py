"""`$filter` on metadata (`EntityDefinitions`, `Attributes`, `Keys`): what the service accepts there.

Comparisons (`eq ne gt ge lt le`) of a property, or a path into a complex value (`RequiredLevel/Value`), with a
string, number, boolean, `null` or enum literal (`Microsoft.Dynamics.CRM.AttributeTypeCode'Picklist'`), joined
by `and`/`or`/`not` and parentheses. Dataverse refuses the string functions on metadata
(`The "startswith" function isn't supported for Metadata Entities.`), and so does the sandbox.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from ferry.sandboxes.dynamics365.errors import bad_request

Matcher = Callable[[dict[str, Any]], bool]

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<enum>[A-Za-z_][\w.]*'(?:[^']|'')*')
      | (?P<string>'(?:[^']|'')*')
      | (?P<number>-?\d+(?:\.\d+)?)(?![\w.])
      | (?P<name>[A-Za-z_]\w*(?:/[A-Za-z_]\w*)*)
      | (?P<punct>[(),])
    )""",
    re.VERBOSE,
)
_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}
_OPS = ("eq", "ne", *_ORDER)
#: The code Dataverse answers an unsupported query function on metadata with.
_UNSUPPORTED_FUNCTION = "0x8006088a"
_FUNCTIONS = ("startswith", "endswith", "contains", "tolower", "toupper", "substringof")


def parse(text: str | None) -> Matcher:
    """Compile a metadata `$filter`; no filter matches everything."""
    if text is None or not text.strip():
        return lambda item: True
    parser = _Parser(text)
    matcher = parser.or_expr()
    if parser.peek() is not None:
        raise parser.error()
    return matcher


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        while text[pos:].strip():
            m = _TOKEN.match(text, pos)
            if m is None or m.end() == pos:
                raise bad_request(f"Syntax error at position {pos} in '{text}'.")
            kind = m.lastgroup or "punct"
            self.tokens.append((kind, m.group(kind)))
            pos = m.end()
        self.i = 0

    def error(self) -> Exception:
        return bad_request(f"Syntax error in the $filter '{self.text}'.")

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise self.error()
        self.i += 1
        return tok

    def at(self, word: str) -> bool:
        tok = self.peek()
        return tok is not None and tok[0] == "name" and tok[1] == word

    def or_expr(self) -> Matcher:
        left = self.and_expr()
        while self.at("or"):
            self.take()
            right = self.and_expr()
            left = _either(left, right)
        return left

    def and_expr(self) -> Matcher:
        left = self.not_expr()
        while self.at("and"):
            self.take()
            right = self.not_expr()
            left = _both(left, right)
        return left

    def not_expr(self) -> Matcher:
        if self.at("not"):
            self.take()
            inner = self.not_expr()
            return lambda item: not inner(item)
        return self.primary()

    def primary(self) -> Matcher:
        kind, text = self.take()
        if kind == "punct" and text == "(":
            inner = self.or_expr()
            if self.take() != ("punct", ")"):
                raise self.error()
            return inner
        if kind != "name":
            raise self.error()
        following = self.peek()
        if following == ("punct", "(") and text.lower() in _FUNCTIONS:
            raise bad_request(f'The "{text}" function isn\'t supported for Metadata Entities.', _UNSUPPORTED_FUNCTION)
        op_kind, op_name = self.take()
        if op_kind != "name" or op_name not in _OPS:
            raise self.error()
        return _comparison(text.split("/"), op_name, self.literal())

    def literal(self) -> Any:
        kind, text = self.take()
        if kind == "string":
            return text[1:-1].replace("''", "'")
        if kind == "enum":
            return text[text.index("'") + 1 : -1].replace("''", "'")
        if kind == "number":
            return Decimal(text)
        if kind == "name" and text in ("true", "false"):
            return text == "true"
        if kind == "name" and text == "null":
            return None
        raise self.error()


def _either(a: Matcher, b: Matcher) -> Matcher:
    return lambda item: a(item) or b(item)


def _both(a: Matcher, b: Matcher) -> Matcher:
    return lambda item: a(item) and b(item)


def _comparison(path: list[str], op: str, expected: Any) -> Matcher:
    def matches(item: dict[str, Any]) -> bool:
        actual: Any = item
        for part in path:
            actual = actual.get(part) if isinstance(actual, dict) else None
        if isinstance(actual, int) and not isinstance(actual, bool):
            actual = Decimal(actual)
        if op == "eq":
            return bool(actual == expected)
        if op == "ne":
            return bool(actual != expected)
        if actual is None or expected is None or isinstance(actual, bool) != isinstance(expected, bool):
            return False
        try:
            return _ORDER[op](actual, expected)
        except TypeError:
            return False

    return matches


__all__ = ["Matcher", "parse"]
