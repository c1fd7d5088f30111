"""Splitting an expression into tokens, each with its offset for error messages."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

KEYWORDS = frozenset({"if", "then", "else", "case", "when", "end", "and", "or", "not", "true", "false", "null"})

_OPERATORS = ("==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "/", "(", ")", "[", "]", ",", ".")
_MISTAKES = {
    "&&": "write `and`",
    "||": "write `or`",
    "!": "write `not`, or `!=` to compare",
    "=": "write `==` to compare",
    "&": "use concat(a, b) to join text",
    "%": "there is no remainder operator",
}
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\", "'": "'", '"': '"', "0": "\0"}


class ExpressionSyntaxError(Exception):
    """An expression cannot be read; `offset` is where in its text, `hint` how to fix it."""

    def __init__(self, message: str, offset: int, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset
        self.hint = hint


@dataclass(frozen=True, slots=True)
class Token:
    """One token: `kind` is name, quoted_name, string, number, keyword, op or eof."""

    kind: str
    value: Any
    start: int
    end: int

    def describe(self) -> str:
        if self.kind == "eof":
            return "the end of the expression"
        if self.kind == "string":
            return f"the text {self.value!r}"
        if self.kind == "quoted_name":
            return f"`{self.value}`"
        return f"'{self.value}'"


def tokenize(text: str) -> list[Token]:
    """The tokens of `text`, ending with an eof token; raise ExpressionSyntaxError on a stray character."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch.isalpha() or ch == "_":
            j = i + 1
            while j < n and (text[j].isalnum() or text[j] == "_"):
                j += 1
            word = text[i:j]
            tokens.append(Token("keyword" if word in KEYWORDS else "name", word, i, j))
            i = j
        elif ch.isdigit():
            i = _number(text, i, tokens)
        elif ch in "'\"":
            i = _string(text, i, tokens)
        elif ch == "`":
            j = text.find("`", i + 1)
            if j < 0:
                raise ExpressionSyntaxError("unterminated `quoted name`", i, "close it with another backquote")
            if j == i + 1:
                raise ExpressionSyntaxError("empty `` name", i)
            tokens.append(Token("quoted_name", text[i + 1 : j], i, j + 1))
            i = j + 1
        else:
            i = _operator(text, i, tokens)
    tokens.append(Token("eof", None, n, n))
    return tokens


def _number(text: str, i: int, tokens: list[Token]) -> int:
    j = i
    while j < len(text) and text[j].isdigit():
        j += 1
    is_decimal = j + 1 < len(text) and text[j] == "." and text[j + 1].isdigit()
    if is_decimal:
        j += 1
        while j < len(text) and text[j].isdigit():
            j += 1
    if j < len(text) and (text[j].isalpha() or text[j] == "_"):
        raise ExpressionSyntaxError(f"malformed number {text[i : j + 1]!r}", i, "names cannot start with a digit")
    literal = text[i:j]
    tokens.append(Token("number", Decimal(literal) if is_decimal else int(literal), i, j))
    return j


def _string(text: str, i: int, tokens: list[Token]) -> int:
    quote, j = text[i], i + 1
    out: list[str] = []
    while j < len(text):
        ch = text[j]
        if ch == quote:
            tokens.append(Token("string", "".join(out), i, j + 1))
            return j + 1
        if ch == "\\":
            if j + 1 >= len(text):
                break
            esc = text[j + 1]
            if esc == "u":
                digits = text[j + 2 : j + 6]
                if len(digits) != 4 or any(c not in "0123456789abcdefABCDEF" for c in digits):
                    raise ExpressionSyntaxError("\\u needs four hex digits", j)
                out.append(chr(int(digits, 16)))
                j += 6
                continue
            if esc not in _ESCAPES:
                raise ExpressionSyntaxError(
                    f"unknown escape \\{esc}", j, "known escapes: \\n \\r \\t \\\\ \\' \\\" \\uXXXX"
                )
            out.append(_ESCAPES[esc])
            j += 2
            continue
        out.append(ch)
        j += 1
    raise ExpressionSyntaxError("unterminated text", i, f"close it with {quote}")


def _operator(text: str, i: int, tokens: list[Token]) -> int:
    for op in _OPERATORS:
        if text.startswith(op, i):
            tokens.append(Token("op", op, i, i + len(op)))
            return i + len(op)
    # `=` alone, `!` alone, `&&`, `||`: say what to write instead.
    for wrong, hint in _MISTAKES.items():
        if text.startswith(wrong, i):
            raise ExpressionSyntaxError(f"unexpected '{wrong}'", i, hint)
    raise ExpressionSyntaxError(f"unexpected character {text[i]!r}", i)
