"""Admin-only changes to connections: pause and resume one, and set the secrets they use.

A connection paused by an auth failure stays paused until someone says the credentials are fixed:
resuming here is that word. A secret set here is stored encrypted in the project's vault at once; the
connections read it when ferry next starts (they hold their credentials while they run).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from ferry.core.errors import ConfigError
from ferry.engine.breaker import CircuitBreaker
from ferry.project import Project
from ferry.project.edit import change_connection
from ferry.project.refs import parse_reference
from ferry.vault import SECRET_NAME, Vault

RESTART = "when ferry next starts (`ferry run` again): connections hold their settings while they run"


class PauseRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=500, description="Why, shown on the connection.")


class CircuitOut(BaseModel):
    connection: str
    circuit: str
    paused_reason: str | None


class SettingsOut(BaseModel):
    connection: str
    type: str
    settings: dict[str, Any] = Field(description="As written in ferry.yaml; secrets appear as ${secret:NAME}.")


class SettingsChange(BaseModel):
    settings: dict[str, Any] = Field(
        min_length=1, description="Fields to set; null removes one. Secrets must be ${secret:NAME} references."
    )


class SettingsChanged(SettingsOut):
    diff: str = Field(description="The change to ferry.yaml, as a unified diff.")
    applies: str


class SecretOut(BaseModel):
    name: str
    stored: bool
    used_by: list[str] = Field(description="The connections whose settings refer to it.")


class SecretValue(BaseModel):
    value: str = Field(min_length=1, max_length=10_000)


class SecretSet(BaseModel):
    name: str
    applies: str = Field(description="When the new value takes effect.")


def connection_routes(
    breakers: dict[str, CircuitBreaker], resumed: Callable[[str], Awaitable[None]], project: Project | None
) -> APIRouter:
    router = APIRouter(tags=["admin"])

    def breaker(name: str) -> CircuitBreaker:
        if name not in breakers:
            known = ", ".join(sorted(breakers)) or "none"
            raise HTTPException(404, f"There is no connection '{name}'; there are: {known}.")
        return breakers[name]

    @router.post("/api/connections/{name}/pause", response_model=CircuitOut)
    async def pause(name: str, body: PauseRequest, request: Request) -> CircuitOut:
        """Stop calling the system (changes wait in the inbox, nothing is lost) until resumed."""
        b = breaker(name)
        b.pause(f"paused by {request.state.user.name}: {body.reason}")
        return CircuitOut(connection=name, circuit=b.state, paused_reason=b.paused_reason)

    @router.post("/api/connections/{name}/resume", response_model=CircuitOut)
    async def resume(name: str) -> CircuitOut:
        """Call the system again (after fixing its credentials, or the pause's cause); waiting work resumes."""
        b = breaker(name)
        await resumed(name)
        return CircuitOut(connection=name, circuit=b.state, paused_reason=None)

    def settings_of(name: str) -> SettingsOut:
        if project is None:
            raise HTTPException(409, "This server has no project to change.")
        try:
            current = Project.load(project.root)  # the file as it is now, with any edits made meanwhile
        except ConfigError as exc:
            raise HTTPException(409, f"ferry.yaml does not load as it is: {exc.message}") from None
        if name not in current.connections:
            known = ", ".join(sorted(current.connections)) or "none"
            raise HTTPException(404, f"There is no connection '{name}'; there are: {known}.")
        conn = current.connections[name]
        return SettingsOut(connection=name, type=conn.type, settings=conn.settings)

    @router.get("/api/connections/{name}/settings", response_model=SettingsOut)
    async def settings(name: str) -> SettingsOut:
        """A connection's settings as ferry.yaml has them (secrets only as references)."""
        return settings_of(name)

    @router.put("/api/connections/{name}/settings", response_model=SettingsChanged)
    async def change_settings(name: str, body: SettingsChange) -> SettingsChanged:
        """Change a connection's settings in ferry.yaml, keeping its comments; refused, with every problem,
        unless the changed project passes `ferry validate`. Takes effect when ferry next starts."""
        settings_of(name)
        assert project is not None
        try:
            edited = change_connection(project.root, name, body.settings)
        except ConfigError as exc:
            raise HTTPException(422, exc.message) from None
        if not edited.ok:
            raise HTTPException(
                422,
                "The change would break the project, so ferry.yaml is unchanged: "
                + "; ".join(str(p) for p in edited.problems),
            )
        now = settings_of(name)
        return SettingsChanged(**now.model_dump(), diff=edited.diff, applies=RESTART)

    def uses() -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for conn_name, conn in (project.connections if project else {}).items():
            for value in conn.settings.values():
                ref = parse_reference(value) if isinstance(value, str) else None
                if ref is not None and ref.kind == "secret":
                    found.setdefault(ref.name, []).append(conn_name)
        return found

    def vault() -> Vault:
        if project is None:
            raise HTTPException(409, "This server has no project, so no vault.")
        try:
            return Vault.open(project.root, create_key=True)
        except ConfigError as exc:
            raise HTTPException(409, exc.message) from None

    @router.get("/api/secrets", response_model=list[SecretOut])
    async def secrets() -> list[SecretOut]:
        """The secrets the project refers to or stores: names only, never values."""
        used = uses()
        stored = set(vault().names())
        return [
            SecretOut(name=n, stored=n in stored, used_by=sorted(used.get(n, []))) for n in sorted(stored | set(used))
        ]

    @router.put("/api/secrets/{name}", response_model=SecretSet)
    async def set_secret(name: str, body: SecretValue) -> SecretSet:
        """Store a secret (encrypted); it takes effect when ferry next starts."""
        if not SECRET_NAME.fullmatch(name):
            raise HTTPException(422, f"'{name}' is not a secret name: letters, digits, '_', '.', '-' (up to 128).")
        vault().set(name, body.value)
        return SecretSet(
            name=name,
            applies="when ferry next starts (`ferry run` again); connections hold their credentials while they run",
        )

    return router
