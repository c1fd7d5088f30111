"""The general ledger: a journal entry must balance, fall in an open period, and once posted stays posted.

A posted entry is never deleted and its amounts never change; it is corrected by a reversing entry
(`ReversalOf`: the entry it reverses), which carries the same lines with debits and credits swapped.
An entry is reversed at most once; the original then names its reversal in `ReversedBy`.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from ferry.sandboxes.tims.lines import ZERO, is_active, require
from ferry.sandboxes.tims.problems import FieldProblem, Problem, rule_problem
from ferry.sandboxes.tims.store import Key, Record, Tx

#: What a posted entry keeps for good; its Description and ExternalID may still be edited.
POSTED = ("PostingDate", "Period", "Currency", "Lines", "ReversalOf")


def prepare_gl_entry(tx: Tx, key: Key, before: Record | None, after: Record) -> None:
    if before is not None:
        _keep_posted(key, before, after)
    _check_period(tx, before, after)
    _check_lines(after)
    if before is None and after["ReversalOf"] is not None:
        _reverse(tx, key, after)


def _keep_posted(key: Key, before: Record, after: Record) -> None:
    if is_active(before) and not is_active(after):
        raise rule_problem(
            "posted-entry",
            f"GL entry {key} is posted and cannot be deleted; post a reversing entry with ReversalOf {key}.",
            "Status",
        )
    for name in POSTED:
        if after[name] != before[name]:
            raise rule_problem(
                "posted-entry",
                f"{name} of GL entry {key} cannot change once posted; post a reversing entry with ReversalOf {key}.",
                name,
            )


def _check_period(tx: Tx, before: Record | None, after: Record) -> None:
    month = after["PostingDate"].strftime("%Y-%m")
    if after["Period"] is None:
        after["Period"] = month
    elif after["Period"] != month:
        raise rule_problem(
            "period-mismatch", f"PostingDate {after['PostingDate']} is not in period {after['Period']}.", "Period"
        )
    closed_before = tx.store.closed_before
    for period in (before["Period"] if before else None, after["Period"]):
        if closed_before is not None and period is not None and period < closed_before:
            raise rule_problem(
                "closed-period",
                f"Period {period} is closed; periods before {closed_before} accept no postings.",
                "Period",
                closedBefore=closed_before,
            )


def _check_lines(after: Record) -> None:
    problems = [
        FieldProblem(f"Lines[{n}]", "must have either a Debit or a Credit above 0, not both")
        for n, line in enumerate(after["Lines"])
        if (line["Debit"] > 0) == (line["Credit"] > 0)
    ]
    if problems:
        raise Problem(422, "Some GL lines are neither a debit nor a credit.", slug="invalid-line", errors=problems)
    debit: Decimal = sum((line["Debit"] for line in after["Lines"]), ZERO)
    credit: Decimal = sum((line["Credit"] for line in after["Lines"]), ZERO)
    if debit != credit:
        raise rule_problem(
            "unbalanced-entry",
            f"The entry does not balance: debits {debit}, credits {credit}.",
            "Lines",
            totalDebit=str(debit),
            totalCredit=str(credit),
        )


def _reverse(tx: Tx, key: Key, after: Record) -> None:
    """Check a reversing entry against the entry it reverses, and mark that one reversed."""
    original_id = after["ReversalOf"]
    original = require(tx, "gl-entries", original_id, "ReversalOf")
    if original.get("ReversedBy") is not None:
        raise rule_problem(
            "already-reversed",
            f"GL entry {original_id} is already reversed by entry {original['ReversedBy']}.",
            "ReversalOf",
            reversedBy=original["ReversedBy"],
        )
    if after["PostingDate"] < original["PostingDate"]:
        raise rule_problem(
            "invalid-dates",
            f"A reversal is posted on or after the entry it reverses ({original['PostingDate']}).",
            "PostingDate",
        )
    if after["Currency"] != original["Currency"]:
        raise rule_problem("currency-mismatch", f"GL entry {original_id} is in {original['Currency']}.", "Currency")
    if _sides(after["Lines"], swap=False) != _sides(original["Lines"], swap=True):
        raise rule_problem(
            "invalid-reversal",
            f"A reversal of GL entry {original_id} has its lines with debits and credits swapped.",
            "Lines",
        )
    tx.stage("gl-entries", original_id, {**original, "ReversedBy": key})


def _sides(lines: list[Record], *, swap: bool) -> Counter[tuple[str, Decimal, Decimal, str | None]]:
    """The lines as (account, debit, credit, dimension), in any order; `swap` trades debits for credits."""
    return Counter(
        (line["Account"], line["Credit"], line["Debit"], line["Dimension"])
        if swap
        else (line["Account"], line["Debit"], line["Credit"], line["Dimension"])
        for line in lines
    )
