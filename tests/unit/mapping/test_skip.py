"""`skip_when`: records a mapping does not write to the target."""

from __future__ import annotations

import pytest

from ferry.core.errors import ValidationError
from ferry.core.problems import ProblemsError
from ferry.mapping import compile_mapping

MAPPING = """
version: 1
name: order
skip_when: statecode == 2 and context.target_id == null
fields:
  Number: number
"""


def test_a_record_the_condition_names_is_skipped_and_others_are_not() -> None:
    mapping = compile_mapping(MAPPING)
    assert mapping.skips({"statecode": 2}, context={"target_id": None})
    assert not mapping.skips({"statecode": 2}, context={"target_id": 10001})  # already in the target: written
    assert not mapping.skips({"statecode": 0}, context={})
    assert not compile_mapping(MAPPING.replace("skip_when: statecode == 2 and context.target_id == null\n", "")).skips(
        {"statecode": 2}
    )


def test_a_skip_condition_that_cannot_be_evaluated_fails_the_record_clearly() -> None:
    mapping = compile_mapping(MAPPING.replace("statecode == 2", "1 / statecode == 2"))
    with pytest.raises(ValidationError, match="skip_when"):
        mapping.skips({"statecode": 0}, context={})


def test_the_skip_reason_says_why_in_words() -> None:
    reason = "skip_reason: format('order {} was cancelled before it was sent', number)\n"
    mapping = compile_mapping(MAPPING.replace("fields:\n", reason + "fields:\n"))
    assert mapping.skip_reason({"statecode": 2, "number": "SO-7"}, context={}) == (
        "order SO-7 was cancelled before it was sent"
    )


def test_without_a_reason_or_when_it_fails_the_history_still_says_skip_when_was_true() -> None:
    assert compile_mapping(MAPPING).skip_reason({"statecode": 2}) == "mapping 'order': skip_when is true"
    failing = compile_mapping(MAPPING.replace("fields:\n", "skip_reason: 1 / statecode\nfields:\n"))
    reason = failing.skip_reason({"statecode": 0})
    assert reason.startswith("mapping 'order': skip_when is true (skip_reason failed:"), reason


def test_a_skip_reason_without_a_skip_condition_is_a_problem() -> None:
    text = MAPPING.replace("skip_when: statecode == 2 and context.target_id == null\n", "skip_reason: \"'why'\"\n")
    with pytest.raises(ProblemsError, match="skip_reason without skip_when"):
        compile_mapping(text)
