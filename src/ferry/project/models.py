"""The project file (`ferry.yaml`) as typed models; the JSON Schema and the reference page come from these."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ferry.project.alerts import Alerts
from ferry.workflow.spec import seconds

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"
Name = Annotated[str, Field(pattern=NAME_PATTERN, max_length=64)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Side(Strict):
    """One end of a sync: an entity of a connection."""

    connection: str = Field(description="Name of a connection defined under `connections`.")
    entity: str = Field(
        min_length=1,
        description="The system's own name for the collection, e.g. `accounts` (Dataverse) or `customers` (TIMS).",
    )
    expand: list[str] = Field(
        default_factory=list,
        description="Single-valued lookups to read as nested objects with each record (Dataverse `$expand`), "
        "e.g. `[primarycontactid]`; a mapping then reads and writes them as one record.",
    )
    filter: str | None = Field(
        None, description="Only records that match, in the system's own syntax (an OData `$filter` for Dataverse)."
    )


class History(StrEnum):
    """What a sync's first run does with the records that exist already."""

    sync = "sync"
    skip = "skip"


class Deletes(StrEnum):
    """What a record deleted on the side a sync reads does to its twin."""

    propagate = "propagate"
    ignore = "ignore"
    map = "map"


class Direction(StrEnum):
    """Which way changes flow."""

    both = "both"
    left_to_right = "left_to_right"
    right_to_left = "right_to_left"

    @property
    def writes_right(self) -> bool:
        return self is not Direction.right_to_left

    @property
    def writes_left(self) -> bool:
        return self is not Direction.left_to_right


class Maps(Strict):
    """The mapping files of a sync, one per direction it flows in."""

    left_to_right: str | None = Field(
        None,
        description="Mapping file, relative to the project directory, that turns a left record into a right one. "
        "Required when `direction` is `both` or `left_to_right`.",
    )
    right_to_left: str | None = Field(
        None,
        description="Mapping file that turns a right record into a left one. "
        "Required when `direction` is `both` or `right_to_left`.",
    )


class Link(Strict):
    """Fields that carry the other side's id, so a record stays linked even if ferry's own store is lost."""

    left: str | None = Field(None, description="Field of the left record that receives the right record's id.")
    right: str | None = Field(
        None, description="Field of the right record that receives the left record's id (e.g. TIMS `ExternalID`)."
    )


class MatchRule(Strict):
    """Records whose `left` field equals the other's `right` field are the same record."""

    left: str = Field(description="Field of the left record.")
    right: str = Field(description="Field of the right record.")
    via: str | None = Field(
        default=None,
        description="A sync whose links translate one side's value into the other's: the left field holds the id "
        "of a left record that sync `via` keeps in step with the record the right field names (e.g. a shipment's "
        "SalesOrderID, via the sales-orders sync, is the Dynamics order's salesorderid).",
    )


class NewestWins(Strict):
    """The change made last wins."""

    policy: Literal["newest_wins"] = Field(description="`newest_wins`.")


class SystemOfRecord(Strict):
    """One side always wins."""

    policy: Literal["system_of_record"] = Field(description="`system_of_record`.")
    winner: Literal["left", "right"] = Field(description="The side whose change is kept: `left` or `right`.")


class Review(Strict):
    """Both changes are held until a person decides in the console."""

    policy: Literal["review"] = Field(description="`review`.")


Conflicts = Annotated[NewestWins | SystemOfRecord | Review, Field(discriminator="policy")]


class Trigger(Strict):
    """What makes ferry look for changes."""

    webhooks: bool = Field(
        True, description="React to change notifications from systems that send them (Dataverse, TIMS)."
    )
    poll_seconds: int | None = Field(
        60, ge=1, description="Also poll for changes this often, in seconds; `null` to rely on webhooks alone."
    )


class Reconcile(Strict):
    """Comparing the sync's two systems record by record, on a schedule (docs/reconciliation.md)."""

    every: float | int | str | None = Field(
        None,
        description="How often `ferry run` compares them: seconds, or text such as `30m`, `24h`, `7d`; `null` "
        "(the default) compares only on demand (`ferry reconcile`, the console).",
    )
    heal: bool = Field(
        False, description="Queue the fixes of the drift a scheduled comparison finds, for the engine to settle."
    )

    @field_validator("every")
    @classmethod
    def _every(cls, value: float | int | str | None) -> float | None:
        if value is None:
            return None
        interval = seconds(value)
        if interval < 60:
            raise ValueError("a reconciliation reads both systems whole: run it at most once a minute (60s or more)")
        return interval


class Sync(Strict):
    """A flow of records between an entity on the left and one on the right."""

    name: Name = Field(description="Unique name of the sync, used in logs, the console and commands.")
    left: Side = Field(description="The left side.")
    right: Side = Field(description="The right side.")
    direction: Direction = Field(
        Direction.both, description="`both`, `left_to_right` or `right_to_left`: which way changes flow."
    )
    map: Maps = Field(description="The mapping files, one per direction.")
    link: Link = Field(default_factory=Link, description="Fields that carry the other side's id.")
    match: list[MatchRule] = Field(
        default_factory=list,
        description="On the first run, link records that already exist on both sides when all these fields are "
        "equal (each rule is tried in turn; the first that finds exactly one record wins).",
    )
    find_by: list[str] = Field(
        default_factory=list,
        description="Fields of the target's records that name the record a mapped payload belongs to, when no "
        "link or match rule has found it: the twin is the one record whose fields equal the payload's (a shop's "
        "stock level is `[sku, location_id]`). The mappings must write these fields.",
    )
    conflicts: Conflicts = Field(
        default_factory=lambda: NewestWins(policy="newest_wins"),
        description="What to do when both sides changed the same record since the last sync: "
        "`{policy: newest_wins}`, `{policy: system_of_record, winner: left|right}` or `{policy: review}`.",
    )
    trigger: Trigger = Field(default_factory=Trigger, description="What makes ferry look for changes.")
    history: History = Field(
        History.sync,
        description="The records that exist when the sync first runs: `sync` brings them across (pairing those "
        "on both sides through `match`); `skip` passes them over, so only what changes from then on flows (a "
        "ledger that must not post years of invoices it already holds, some in closed periods).",
    )
    reconcile: Reconcile = Field(
        default_factory=Reconcile,
        description="Compare the two systems record by record on a schedule: `{every: 24h, heal: false}`.",
    )
    deletes: Deletes = Field(
        Deletes.propagate,
        description="When a record is deleted (voided) on a side the sync reads: `propagate` deletes its twin; "
        "`ignore` leaves the twin alone; `map` maps the record as it was deleted like any change, so the mapping "
        "decides (a voided invoice posts its reversal; `skip_when` on `Status` tells a deletion apart). "
        "A record the system no longer returns at all changes nothing under `map`.",
    )


class Workflow(Strict):
    """A workflow of the project: a trigger and steps, written in a file of its own (docs/workflows.md)."""

    name: Name = Field(description="Unique among the project's syncs and workflows; used by `ferry workflow`.")
    file: str = Field(description="The workflow file, relative to the project directory (`workflows/x.yaml`).")


class Connection(BaseModel):
    """A connected system: `type` names the connector, and the connector's own fields follow."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="Connector type, e.g. `dynamics365` or `tims`; its own fields follow.")

    @property
    def settings(self) -> dict[str, Any]:
        """The connector's fields as written, references unresolved."""
        return dict(self.model_extra or {})


class ConsoleAccess(Strict):
    """Who may use the console and the control API, and how they prove it."""

    login: Literal["local", "header"] = Field(
        "local",
        description="`local`: people log in with the names and passwords kept by `ferry users`; `header`: a "
        "reverse proxy in front of ferry authenticates them and passes the name in `user_header`.",
    )
    user_header: str = Field("X-Forwarded-User", description="With `login: header`, the header holding the name.")
    role_header: str | None = Field(
        None,
        description="With `login: header`, a header holding the role (viewer, operator or admin); without it, "
        "the role is the one `ferry users` gives that name, else `default_role`.",
    )
    default_role: Literal["viewer", "operator", "admin"] = Field(
        "viewer", description="With `login: header`, the role of a name ferry does not know."
    )
    trusted_proxies: list[str] = Field(
        default_factory=lambda: ["127.0.0.1", "::1"],
        description="With `login: header`, the addresses whose headers are believed; others must log in.",
    )
    secure_cookies: bool | None = Field(
        None,
        description="Mark the session cookie Secure (sent over HTTPS only). Unset: on when the public URL is https.",
    )


class ProjectSpec(Strict):
    """The contents of `ferry.yaml`."""

    version: Literal[1] = Field(description="Version of the project format; `1`.")
    name: Name = Field(description="Name of the project.")
    description: str | None = Field(None, description="What this project keeps in step, for people.")
    connections: dict[Name, Connection] = Field(
        description="The connected systems, by a name of your choosing that syncs refer to."
    )
    syncs: list[Sync] = Field(default_factory=list, description="The flows between them.")
    workflows: list[Workflow] = Field(
        default_factory=list, description="Multi-step processes (order to cash...), each in its own file."
    )
    alerts: Alerts | None = Field(
        None,
        description="Rules that watch the running project and the channels that carry their alerts; without it, "
        "dead letters and connections that cannot authenticate are shown in the console (docs/alerts.md).",
    )
    console: ConsoleAccess = Field(
        default_factory=ConsoleAccess, description="Access to the console and the control API."
    )
