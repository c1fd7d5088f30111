"""`skip_when`: records a mapping does not write to the target."""

from __future__ import annotations

import pytest

from ferry.core.errors import ValidationError
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
