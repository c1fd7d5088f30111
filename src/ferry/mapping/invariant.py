"""Calls inside a list's item fields that read only `context.parent` give the same value for every item:
computed once per list instead of once per item.

The freight of an order line, `allocate(convert(context.parent.freight, ...), map_items(split_lines(
group_lines(filter_items(context.parent.lines, ...)))))[context.position - 1]`, regroups and resplits
every line of the order for each line written: quadratic in the lines. The value of such a call is a
function of `context.parent` (and of context values other than `position`) alone, so `_build_list` gives
the items of one list a memo, and the call keeps its value there against the parent it was computed for.
A nested per-item argument rebinds `context.parent`; the identity check sends it past the memo.
"""

from __future__ import annotations

from typing import Any

from ferry.mapping.nodes import Attr, Binary, Call, Case, If, Index, Literal, Node, Path, Unary
from ferry.mapping.registry import Evaluator, registry

#: The context key of the memo of one list's items: a name no `context.` path can spell.
MEMO = "\0memo"


def reads_parent(node: Node) -> bool:
    """Whether `node` reads `context.parent` anywhere."""
    if isinstance(node, Path):
        return node.context and len(node.segments) > 1 and node.segments[1] == "parent"
    return any(reads_parent(child) for child in _children(node))


def parent_only(node: Node, *, in_items: bool = False) -> bool:
    """Whether `node`'s value depends on nothing but `context.parent` and context values other than
    `position`: no field of the record it is evaluated on. `in_items`: inside a per-item argument, where
    the record is an item (derived from the parent) and `context.parent` is the record itself."""
    if isinstance(node, Literal):
        return True
    if isinstance(node, Path):
        if not node.context:
            return in_items
        first = node.segments[1] if len(node.segments) > 1 else None
        if in_items:
            return first != "parent" and first is not None
        return first != "position" and first is not None
    if isinstance(node, Call):
        info = registry().get(node.name)
        if info is None:
            return False
        item_args = set(info.item_args)
        if info.item_args and info.max_args is None:
            item_args.update(range(max(info.item_args), len(node.args)))
        for i, arg in enumerate(node.args):
            if i in item_args:
                # One level further down, the record and `context.parent` are both derived from the items.
                if not (in_items or parent_only(arg, in_items=True)):
                    return False
            elif not parent_only(arg, in_items=in_items):
                return False
        return True
    if isinstance(node, Attr | Index | Unary | Binary | If | Case):
        return all(parent_only(child, in_items=in_items) for child in _children(node))
    return False


def _children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Call):
        return node.args
    if isinstance(node, Attr):
        return (node.target,)
    if isinstance(node, Index):
        return (node.target, node.index)
    if isinstance(node, Unary):
        return (node.operand,)
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, If):
        return (node.condition, node.then) + ((node.otherwise,) if node.otherwise is not None else ())
    if isinstance(node, Case):
        pairs = tuple(part for when in node.whens for part in when)
        subject = (node.subject,) if node.subject is not None else ()
        return subject + pairs + ((node.otherwise,) if node.otherwise is not None else ())
    return ()


def once_per_parent(evaluate: Evaluator) -> Evaluator:
    """`evaluate`, its value kept in the list's memo for the parent it was computed for."""
    key = object()

    def cached(record: dict[str, Any], context: dict[str, Any]) -> Any:
        memo = context.get(MEMO)
        if memo is None:
            return evaluate(record, context)
        parent = context.get("parent")
        kept = memo.get(key)
        if kept is not None and kept[0] is parent:
            return kept[1]
        value = evaluate(record, context)
        memo[key] = (parent, value)
        return value

    return cached
