"""The workflow file format: a trigger, and steps run one after another, each persisted as it ends.

These pydantic models are the format; `docs/workflows.md` describes them with examples. Expressions
and `map:` bodies are the mapping language's (docs/mapping.md), read against the run's state:
`trigger` (the record that started the run), `steps.<name>` (each finished step's output), `run`
(`id`, `key`, `workflow`), and inside `for_each` the current `item` and its `index` (from 0).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

Expression = Annotated[str, StringConstraints(min_length=1)]
StepName = Annotated[str, StringConstraints(pattern=r"^[a-z_][a-z0-9_]*$", max_length=64)]
#: A mapping body as under a mapping file (`fields`, `lists`, `lookups`, `objects`), without `version`.
MapBody = dict[str, Any]
OnFailure = Literal["review", "compensate", "continue"]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}


def seconds(value: float | int | str) -> float:
    """A duration: a number of seconds, or text such as `500ms`, `30s`, `5m`, `2h`, `7d`."""
    if isinstance(value, bool):
        raise ValueError("a duration is a number of seconds or text such as 30s, 5m, 2h, 7d")
    if isinstance(value, int | float):
        number = float(value)
    else:
        found = _DURATION.match(str(value))
        if found is None:
            raise ValueError(f"{value!r} is not a duration; write seconds (30) or 30s, 5m, 2h, 7d")
        number = float(found.group(1)) * _UNITS[found.group(2)]
    if number < 0:
        raise ValueError("a duration cannot be negative")
    return number


Duration = Annotated[float | int | str, Field(description="Seconds, or text such as `30s`, `5m`, `2h`, `7d`.")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Trigger(Strict):
    """What starts a run: each new record of an entity (once per record, however often it is notified)."""

    connection: str = Field(description="The connection whose records start runs.")
    entity: str = Field(description="The entity, in the system's own words (`orders`).")
    filter: str | None = Field(None, description="Read only matching records, in the connector's own syntax.")
    when: Expression | None = Field(
        None, description="Start a run only for records where this expression (on the record) is true."
    )
    key: Expression | None = Field(
        None, description="What makes two records the same run (default: the record's id). One run per key, ever."
    )
    webhooks: bool = Field(True, description="React to the system's change notifications.")
    poll_seconds: int | None = Field(60, ge=1, description="Also poll this often; `null` for webhooks only.")
    history: Literal["skip", "run"] = Field(
        "skip",
        description="On the first run of the project, `skip` the records that already exist (only new ones "
        "start runs) or `run` the workflow for every one of them.",
    )


class Target(Strict):
    connection: str = Field(description="The connection to call.")
    entity: str = Field(description="The entity, in the system's own words.")


class Find(Target):
    """Look a record up by field values; its output is the record (or null)."""

    match: dict[str, Expression] = Field(description="Field of the target to expression: all must be equal.")
    required: bool = Field(True, description="Fail the step when nothing matches.")
    missing: Expression | None = Field(
        None, description="The reason given when nothing matches, for people (an expression giving text)."
    )


class Get(Target):
    """Read one record by id; its output is the record."""

    id: Expression = Field(description="The record's id.")
    required: bool = Field(True, description="Fail the step when there is no such record.")


class Create(Target):
    """Create a record from `map`; idempotent (a retried step never creates a second record)."""

    map: MapBody = Field(description="The payload, as a mapping body (`fields`, `lists`...).")


class Update(Target):
    """Update the record `id` with the fields `map` gives."""

    id: Expression = Field(description="The record's id.")
    map: MapBody = Field(description="The fields to write, as a mapping body.")


class Ensure(Target):
    """Find a record by `match`, else create it from `map`: "created or matched"."""

    match: dict[str, Expression] = Field(description="Field of the target to expression, to find an existing one.")
    map: MapBody = Field(description="The payload of the record to create when none matches.")
    update: bool = Field(False, description="Also write `map`'s fields to a record found (only those that differ).")


class SyncStep(Strict):
    """Settle one record through a sync of the project now, and wait until it is in step."""

    sync: str = Field(description="The sync's name.")
    side: Literal["left", "right"] = Field(description="The side of the sync the record is on.")
    id: Expression = Field(description="The record's id on that side.")


class Wait(Strict):
    """Wait a time, or until a record exists or meets a condition."""

    seconds: Expression | float | int | None = Field(
        None, description="Wait this long (seconds, or an expression giving seconds)."
    )
    connection: str | None = Field(None, description="The connection to watch.")
    entity: str | None = Field(None, description="The entity to watch.")
    id: Expression | None = Field(None, description="Watch this record...")
    match: dict[str, Expression] | None = Field(None, description="...or the first record with these values.")
    until: Expression | None = Field(None, description="Until this expression, on the record, is true.")
    every: Duration = Field(60, description="Look at least this often (changes the system reports wake it sooner).")
    timeout: Duration | None = Field(None, description="Fail the step after this long.")

    @model_validator(mode="after")
    def _one_kind(self) -> Wait:
        watching = self.connection is not None or self.entity is not None
        if (self.seconds is not None) == watching:
            raise ValueError("give `seconds`, or `connection`, `entity` and `id` or `match` (with `until`)")
        if watching and not (self.connection and self.entity and (self.id is None) != (self.match is None)):
            raise ValueError("watching a record needs `connection`, `entity`, and one of `id` or `match`")
        return self

    @field_validator("every", "timeout")
    @classmethod
    def _duration(cls, value: float | int | str | None) -> float | None:
        return None if value is None else seconds(value)


class Reason(Strict):
    reason: Expression = Field(description="Why, for people (an expression giving text).")


class Case(Strict):
    """One way through a branch: its steps run when `when` is true (the first true case wins)."""

    when: Expression | None = Field(None, description="The condition; omit it in the last case for 'otherwise'.")
    steps: list[Step] = Field(description="The steps of this way.")


_ACTIONS = ("find", "get", "create", "update", "ensure", "sync", "wait", "set", "review", "fail", "branch")


class Compensation(Strict):
    """What undoes a step when a later one fails and the workflow compensates."""

    create: Create | None = None
    update: Update | None = None

    @model_validator(mode="after")
    def _one(self) -> Compensation:
        if (self.create is None) == (self.update is None):
            raise ValueError("a compensation is one `update` (e.g. cancel the order) or one `create`")
        return self


class Step(Strict):
    """One step: a name, exactly one action, and when it runs."""

    name: StepName = Field(description="Unique in the workflow; later steps read its output as `steps.<name>`.")
    description: str | None = Field(None, description="What the step is for, for people.")
    when: Expression | None = Field(None, description="Run the step only when this is true; else it is skipped.")
    for_each: Expression | None = Field(
        None, description="Run the action once per item of this list (`item`, `index`); the output is a list."
    )
    on_failure: OnFailure | None = Field(
        None, description="Override the workflow's `on_failure` for this step (`continue` goes on without it)."
    )
    compensate: Compensation | None = Field(None, description="How to undo this step if the workflow compensates.")
    find: Find | None = None
    get: Get | None = None
    create: Create | None = None
    update: Update | None = None
    ensure: Ensure | None = None
    sync: SyncStep | None = None
    wait: Wait | None = None
    set: MapBody | None = Field(None, description="Compute values (a mapping body); the output is the payload.")
    review: Reason | None = Field(None, description="Hold the run for a person; retrying it approves and goes on.")
    fail: Reason | None = Field(None, description="Fail here (with `when`: a business rule the data broke).")
    branch: list[Case] | None = Field(None, description="Ways through, the first whose `when` is true runs.")

    @property
    def action(self) -> str:
        return next(name for name in _ACTIONS if getattr(self, name) is not None)

    @model_validator(mode="after")
    def _one_action(self) -> Step:
        given = [name for name in _ACTIONS if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(
                f"a step has exactly one action ({', '.join(_ACTIONS)}); this one has "
                + (", ".join(given) if given else "none")
            )
        if self.for_each is not None and given[0] in ("branch", "review", "fail", "set"):
            raise ValueError(f"`for_each` cannot repeat a `{given[0]}` step")
        return self


class WorkflowSpec(Strict):
    """A workflow file."""

    version: Literal[1] = Field(description="The format version; 1.")
    name: str | None = Field(None, description="Defaults to the name ferry.yaml gives it.")
    description: str | None = Field(None, description="What the workflow does, for people.")
    trigger: Trigger = Field(description="What starts a run.")
    on_failure: OnFailure = Field(
        "review",
        description="When a step fails for good: `review` holds the run for a person (fix, then retry it from "
        "the failed step), `compensate` undoes the finished steps that say how, newest first.",
    )
    steps: list[Step] = Field(min_length=1, description="The steps, run in order.")


Case.model_rebuild()
