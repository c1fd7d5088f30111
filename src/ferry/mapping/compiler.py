"""Compiling a syntax tree into a Python closure `(record, context) -> value`, checking it on the way.

Every check that can be made without a record is made here, once: unknown functions, argument counts,
lookup tables, context names. Problems go to `report`; a node that has one compiles to a null evaluator
so that the rest of the mapping is still checked.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from typing import Any

from ferry.mapping import operators
from ferry.mapping.invariant import once_per_parent, parent_only, reads_parent
from ferry.mapping.nodes import Attr, Binary, Call, Case, If, Index, Literal, Node, Path, Unary
from ferry.mapping.paths import PathError, split_path
from ferry.mapping.registry import CallSite, Evaluator, FunctionInfo, Lookups, Rates, registry
from ferry.mapping.spec import CONTEXT_NAMES
from ferry.mapping.values import ApplyError, kind, truthy

Report = Callable[[str, Node, str | None], None]


def _null(record: dict[str, Any], context: dict[str, Any]) -> None:
    return None


def constant(value: Any) -> Evaluator:
    """An evaluator that always gives `value`."""

    def evaluate(record: dict[str, Any], context: dict[str, Any]) -> Any:
        return value

    return evaluate


def suggest(name: str, known: Sequence[str]) -> str | None:
    """`did you mean 'x'?` for the closest known name, if one is close."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


class Compiler:
    """Compiles the expressions of one mapping; collects the source paths they read."""

    def __init__(self, lookups: Lookups, report: Report, rates: Rates | None = None) -> None:
        self.lookups = lookups
        self.report = report
        self.rates = rates
        self.functions = registry()
        #: Each source path read, with the node that reads it and where to report a problem with it.
        self.reads: list[tuple[tuple[str, ...], Node, Report]] = []
        #: Paths read of `context.parent` (inside a list: the record's own fields).
        self.parent_reads: list[tuple[str, ...]] = []
        #: Inside a call already computed once per list (`invariant.py`): its parts need no memo of their own.
        self._once = False

    def compile(self, node: Node) -> Evaluator:
        method: Callable[[Any], Evaluator] = getattr(self, f"_{type(node).__name__.lower()}")
        return method(node)

    def _literal(self, node: Literal) -> Evaluator:
        return constant(node.value)

    def _path(self, node: Path) -> Evaluator:
        keys = node.segments
        if node.context:
            keys = keys[1:]
            if keys and keys[0] not in CONTEXT_NAMES:
                hint = suggest(keys[0], sorted(CONTEXT_NAMES)) or "known: " + ", ".join(sorted(CONTEXT_NAMES))
                self.report(f"unknown context value 'context.{keys[0]}'", node, hint)
                return _null
            if keys[0] == "parent" and len(keys) > 1:
                self.parent_reads.append(keys[1:])
            return _getter(keys, from_context=True)
        self.reads.append((keys, node, self.report))
        return _getter(keys, from_context=False)

    def _attr(self, node: Attr) -> Evaluator:
        target, name = self.compile(node.target), node.name

        def evaluate(record: dict[str, Any], context: dict[str, Any]) -> Any:
            value = target(record, context)
            return value.get(name) if isinstance(value, dict) else None

        return evaluate

    def _index(self, node: Index) -> Evaluator:
        target, index = self.compile(node.target), self.compile(node.index)

        def evaluate(record: dict[str, Any], context: dict[str, Any]) -> Any:
            return _item(target(record, context), index(record, context))

        return evaluate

    def _unary(self, node: Unary) -> Evaluator:
        operand = self.compile(node.operand)
        if node.op == "not":
            return lambda record, context: not truthy(operand(record, context))
        negate = operators.negate
        return lambda record, context: negate(operand(record, context))

    def _binary(self, node: Binary) -> Evaluator:
        left, right = self.compile(node.left), self.compile(node.right)
        if node.op == "and":
            return lambda record, context: truthy(left(record, context)) and truthy(right(record, context))
        if node.op == "or":
            return lambda record, context: truthy(left(record, context)) or truthy(right(record, context))
        op = operators.BINARY[node.op]
        return lambda record, context: op(left(record, context), right(record, context))

    def _if(self, node: If) -> Evaluator:
        condition, then = self.compile(node.condition), self.compile(node.then)
        otherwise = self.compile(node.otherwise) if node.otherwise is not None else _null

        def evaluate(record: dict[str, Any], context: dict[str, Any]) -> Any:
            return then(record, context) if truthy(condition(record, context)) else otherwise(record, context)

        return evaluate

    def _case(self, node: Case) -> Evaluator:
        whens = tuple((self.compile(match), self.compile(result)) for match, result in node.whens)
        otherwise = self.compile(node.otherwise) if node.otherwise is not None else _null
        if node.subject is None:

            def conditions(record: dict[str, Any], context: dict[str, Any]) -> Any:
                for condition, result in whens:
                    if truthy(condition(record, context)):
                        return result(record, context)
                return otherwise(record, context)

            return conditions
        subject, equals = self.compile(node.subject), operators.equals

        def switch(record: dict[str, Any], context: dict[str, Any]) -> Any:
            value = subject(record, context)
            for match, result in whens:
                if equals(value, match(record, context)):
                    return result(record, context)
            return otherwise(record, context)

        return switch

    def _call(self, node: Call) -> Evaluator:
        if self._once or not reads_parent(node) or not parent_only(node):
            return self._plain_call(node)
        self._once = True
        try:
            return once_per_parent(self._plain_call(node))
        finally:
            self._once = False

    def _plain_call(self, node: Call) -> Evaluator:
        info = self.functions.get(node.name)
        if info is None:
            hint = suggest(node.name, sorted(self.functions)) or "see the function list in docs/mapping.md"
            self.report(f"unknown function {node.name}()", node, hint)
            for arg in node.args:  # still check what is inside
                self.compile(arg)
            return _null
        item_args = set(info.item_args)
        if info.item_args and info.max_args is None:  # and every argument after the last one listed
            item_args.update(range(max(info.item_args), len(node.args)))
        args = [self._item_arg(node, i) if i in item_args else self.compile(arg) for i, arg in enumerate(node.args)]
        count = len(args)
        if count < info.min_args or (info.max_args is not None and count > info.max_args):
            self.report(f"{node.name}() takes {_arity(info)}, got {count}", node, f"write {info.signature}")
            return _null
        if info.compile is not None:
            return info.compile(CallSite(node.name, args, node.args, self.lookups, self.report, self.rates))
        assert info.call is not None
        if all(isinstance(arg, Literal) for arg in node.args):
            return self._folded(info, node)
        return _caller(info.call, args)

    def _item_arg(self, node: Call, index: int) -> Evaluator:
        """An argument evaluated once per item of the call's first argument: it reads the item.

        A quoted text is a path into the item. The fields it reads are read under the list's own path
        when the list is a plain path (or a call that gives the items of one), like `lists:` items."""
        arg = node.args[index]
        if isinstance(arg, Literal) and isinstance(arg.value, str):
            try:
                keys = split_path(arg.value)
            except PathError as exc:
                self.report(f"{node.name}(): {exc}", arg, "name a field of the items, e.g. 'quantity' or 'product.sku'")
                return _null
            arg = Path(keys, start=arg.start, end=arg.end)
        items = Compiler(self.lookups, self.report, self.rates)
        evaluator = items.compile(arg)
        source = item_source(node.args[0]) if node.args else None
        if source is not None:
            prefix, under_parent = source
            for keys, read_node, report in items.reads:
                if under_parent:
                    self.parent_reads.append((*prefix, *keys))
                else:
                    self.reads.append(((*prefix, *keys), read_node, report))
        # `context.parent` inside a per-item argument is the record this expression reads.
        self.reads.extend((keys, node, self.report) for keys in items.parent_reads)
        return evaluator

    def _folded(self, info: FunctionInfo, node: Call) -> Evaluator:
        """A call on constants is computed once, now; if it fails it would fail for every record."""
        assert info.call is not None
        try:
            value = info.call(*(arg.value for arg in node.args if isinstance(arg, Literal)))
        except ApplyError as exc:
            self.report(f"this call fails for every record: {exc.reason}", node, None)
            return _null
        return constant(value)


def item_source(node: Node) -> tuple[tuple[str, ...], bool] | None:
    """The source path whose items `node` gives: `lines` -> (('lines',), False); `context.parent.lines`
    -> (('lines',), True), read of the parent record; a call such as `group_lines(lines, ...)` that gives
    the items of its first argument -> that argument's path; anything else -> None."""
    if isinstance(node, Path):
        if not node.context:
            return node.segments, False
        if len(node.segments) > 2 and node.segments[1] == "parent":
            return node.segments[2:], True
        return None
    if isinstance(node, Call) and node.args:
        info = registry().get(node.name)
        if info is not None and info.returns_items:
            return item_source(node.args[0])
    return None


def _arity(info: FunctionInfo) -> str:
    low, high = info.min_args, info.max_args
    if high is None:
        return f"at least {low} argument{'s' if low != 1 else ''}"
    if low == high:
        return f"{low} argument{'s' if low != 1 else ''}"
    return f"{low} to {high} arguments"


def _caller(fn: Callable[..., Any], args: list[Evaluator]) -> Evaluator:
    # Unrolled for the usual arities: apply() runs these for every field of every record.
    if len(args) == 0:
        return lambda record, context: fn()
    if len(args) == 1:
        (a,) = args
        return lambda record, context: fn(a(record, context))
    if len(args) == 2:
        a, b = args
        return lambda record, context: fn(a(record, context), b(record, context))
    if len(args) == 3:
        a, b, c = args
        return lambda record, context: fn(a(record, context), b(record, context), c(record, context))
    every = tuple(args)
    return lambda record, context: fn(*(arg(record, context) for arg in every))


def _getter(keys: tuple[str, ...], *, from_context: bool) -> Evaluator:
    """Read a path from the record (or the context); a missing key, or a non-object on the way, gives null."""
    if not keys:
        return (lambda record, context: context) if from_context else (lambda record, context: record)
    if len(keys) == 1:
        (k,) = keys
        if from_context:
            return lambda record, context: context.get(k)
        return lambda record, context: record.get(k)
    if len(keys) == 2 and not from_context:
        k0, k1 = keys

        def two(record: dict[str, Any], context: dict[str, Any]) -> Any:
            value = record.get(k0)
            return value.get(k1) if isinstance(value, dict) else None

        return two

    def walk(record: dict[str, Any], context: dict[str, Any]) -> Any:
        value: Any = context if from_context else record
        for key in keys:
            if not isinstance(value, dict):
                return None
            value = value.get(key)
        return value

    return walk


def _item(container: Any, index: Any) -> Any:
    if container is None or index is None:
        return None
    if isinstance(container, list):
        if not isinstance(index, int) or isinstance(index, bool):
            raise ApplyError(f"a list item is chosen by a whole number, got {kind(index)}")
        return container[index] if -len(container) <= index < len(container) else None
    if isinstance(container, dict):
        if not isinstance(index, str):
            raise ApplyError(f"an object's field is chosen by text, got {kind(index)}")
        return container.get(index)
    raise ApplyError(f"cannot take [{index!r}] of {kind(container)}")
