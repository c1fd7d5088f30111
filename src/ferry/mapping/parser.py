"""A Pratt parser for mapping expressions: tokens in, a syntax tree out, errors with offsets and hints.

Binding powers, lowest first (the grammar in `spec.GRAMMAR` says the same):

    or 10 · and 20 · not 30 · == != < <= > >= 40 (no chaining) · + - 50 · * / 60 · unary - 70 · . [] 80

`if ... then ... else ...` and `case ... end` are prefix forms that take a whole expression in each part.
"""

from __future__ import annotations

from decimal import Decimal

from ferry.mapping.lexer import ExpressionSyntaxError, Token, tokenize
from ferry.mapping.nodes import Attr, Binary, Call, Case, If, Index, Literal, Node, Path, Unary

_INFIX = {"or": 10, "and": 20, "==": 40, "!=": 40, "<": 40, "<=": 40, ">": 40, ">=": 40, "+": 50, "-": 50}
_INFIX |= {"*": 60, "/": 60}
_COMPARISONS = frozenset({"==", "!=", "<", "<=", ">", ">="})
_POSTFIX_POWER = 80
_CONSTANTS = {"true": True, "false": False, "null": None}


def parse(text: str) -> Node:
    """The syntax tree of an expression; raise ExpressionSyntaxError pointing into `text`."""
    if not text.strip():
        raise ExpressionSyntaxError("the expression is empty", 0, "write a field name, a constant or a function call")
    parser = _Parser(tokenize(text))
    node = parser.expression(0)
    token = parser.peek()
    if token.kind != "eof":
        hint = "join parts with an operator or a function such as concat()" if token.kind != "op" else None
        raise ExpressionSyntaxError(f"unexpected {token.describe()} after a complete expression", token.start, hint)
    return node


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> Token:
        return self.tokens[self.pos]

    def advance(self) -> Token:
        token = self.tokens[self.pos]
        if token.kind != "eof":
            self.pos += 1
        return token

    def at(self, kind: str, value: str) -> bool:
        token = self.peek()
        return token.kind == kind and token.value == value

    def expect(self, kind: str, value: str, context: str) -> Token:
        token = self.peek()
        if token.kind != kind or token.value != value:
            raise ExpressionSyntaxError(f"expected '{value}' {context}, found {token.describe()}", token.start)
        return self.advance()

    def expression(self, min_power: int) -> Node:
        left = self.prefix(self.advance())
        while True:
            token = self.peek()
            op = token.value if token.kind in ("op", "keyword") else None
            if op in (".", "[") and min_power < _POSTFIX_POWER:
                left = self.postfix(left, self.advance())
                continue
            power = _INFIX.get(op) if isinstance(op, str) else None
            if power is None or power <= min_power:
                return left
            self.advance()
            right = self.expression(power)
            if op in _COMPARISONS and self.peek().value in _COMPARISONS and self.peek().kind == "op":
                nxt = self.peek()
                raise ExpressionSyntaxError(
                    f"comparisons cannot be chained ('{op}' then '{nxt.value}')", nxt.start, "join them with `and`"
                )
            left = Binary(str(op), left, right, start=left.start, end=right.end)

    def prefix(self, token: Token) -> Node:
        kind, value = token.kind, token.value
        if kind in ("string", "number"):
            return Literal(value, start=token.start, end=token.end)
        if kind == "keyword":
            if value in _CONSTANTS:
                return Literal(_CONSTANTS[value], start=token.start, end=token.end)
            if value == "not":
                operand = self.expression(30)
                return Unary("not", operand, start=token.start, end=operand.end)
            if value == "if":
                return self.if_form(token)
            if value == "case":
                return self.case_form(token)
            raise ExpressionSyntaxError(
                f"unexpected '{value}'", token.start, f"to read a field named {value}, write `{value}`"
            )
        if kind == "name":
            if self.at("op", "("):
                return self.call(token)
            return Path((value,), value == "context", start=token.start, end=token.end)
        if kind == "quoted_name":
            return Path((value,), start=token.start, end=token.end)
        if kind == "op" and value == "(":
            inner = self.expression(0)
            self.expect("op", ")", "to close '('")
            return inner
        if kind == "op" and value == "-":
            operand = self.expression(70)
            if (
                isinstance(operand, Literal)
                and isinstance(operand.value, int | Decimal)
                and not isinstance(operand.value, bool)
            ):
                return Literal(-operand.value, start=token.start, end=operand.end)
            return Unary("-", operand, start=token.start, end=operand.end)
        if kind == "eof":
            raise ExpressionSyntaxError("the expression ends too early", token.start, "something is missing at the end")
        raise ExpressionSyntaxError(f"unexpected {token.describe()}", token.start)

    def postfix(self, left: Node, token: Token) -> Node:
        if token.value == "[":
            index = self.expression(0)
            close = self.expect("op", "]", "to close '['")
            return Index(left, index, start=left.start, end=close.end)
        name = self.advance()
        if name.kind not in ("name", "quoted_name", "keyword"):
            raise ExpressionSyntaxError(f"expected a field name after '.', found {name.describe()}", name.start)
        if name.kind == "name" and self.at("op", "("):
            raise ExpressionSyntaxError(
                f"'{name.value}(' after a '.': functions are not methods", name.start, f"write {name.value}(value, ...)"
            )
        if isinstance(left, Path):
            return Path((*left.segments, str(name.value)), left.context, start=left.start, end=name.end)
        return Attr(left, str(name.value), start=left.start, end=name.end)

    def call(self, name: Token) -> Node:
        self.advance()  # (
        args: list[Node] = []
        if not self.at("op", ")"):
            while True:
                args.append(self.expression(0))
                if self.at("op", ","):
                    self.advance()
                    continue
                break
        close = self.peek()
        if not self.at("op", ")"):
            raise ExpressionSyntaxError(
                f"expected ',' or ')' in the call to {name.value}(), found {close.describe()}",
                close.start,
                f"separate the arguments of {name.value}() with ',' and close it with ')'",
            )
        self.advance()
        return Call(str(name.value), tuple(args), name.end, start=name.start, end=close.end)

    def if_form(self, token: Token) -> Node:
        condition = self.expression(0)
        self.expect("keyword", "then", "after the condition of `if`")
        then = self.expression(0)
        otherwise = None
        if self.at("keyword", "else"):
            self.advance()
            otherwise = self.expression(0)
        end = (otherwise or then).end
        return If(condition, then, otherwise, start=token.start, end=end)

    def case_form(self, token: Token) -> Node:
        subject = None if self.at("keyword", "when") else self.expression(0)
        whens: list[tuple[Node, Node]] = []
        while self.at("keyword", "when"):
            self.advance()
            match = self.expression(0)
            self.expect("keyword", "then", "after `when ...`")
            whens.append((match, self.expression(0)))
        if not whens:
            found = self.peek()
            raise ExpressionSyntaxError(f"expected 'when' in `case`, found {found.describe()}", found.start)
        otherwise = None
        if self.at("keyword", "else"):
            self.advance()
            otherwise = self.expression(0)
        close = self.expect("keyword", "end", "to close `case`")
        return Case(subject, tuple(whens), otherwise, start=token.start, end=close.end)
