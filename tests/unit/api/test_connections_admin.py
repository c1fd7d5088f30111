"""Admins pause and resume connections and set secrets; the values never come back out."""

from __future__ import annotations

from pathlib import Path

from ferry.engine.breaker import CircuitBreaker
from ferry.engine.store import SqliteStore
from ferry.project import Project
from ferry.project.models import Connection, ProjectSpec
from ferry.project.templates import init_project
from ferry.vault import Vault, vault_file
from tests.unit.api.clients import api_client


def project(root: Path) -> Project:
    tims = Connection.model_validate({"type": "tims", "api_key": "${secret:tims-key}", "base_url": "http://x"})
    return Project(root, ProjectSpec(version=1, name="p", connections={"tims": tims}))


async def test_an_admin_pauses_and_resumes_a_connection_and_resuming_goes_to_the_engine(store: SqliteStore) -> None:
    breakers = {"tims": CircuitBreaker()}
    breakers["tims"].pause("401 from TIMS: the API key was revoked")
    calls: list[str] = []

    async def resume(name: str) -> None:
        breakers[name].reset()
        calls.append(name)

    async with await api_client(store, "admin", breakers=breakers, resume=resume) as c:
        resumed = (await c.post("/api/connections/tims/resume")).json()
        paused = (await c.post("/api/connections/tims/pause", json={"reason": "TIMS maintenance"})).json()
        no_reason = await c.post("/api/connections/tims/pause", json={"reason": ""})
        unknown = await c.post("/api/connections/sap/resume")
    assert resumed == {"connection": "tims", "circuit": "closed", "paused_reason": None} and calls == ["tims"]
    assert paused["circuit"] == "open" and paused["paused_reason"] == "paused by test-admin: TIMS maintenance"
    assert breakers["tims"].allow() is False  # the engine's own breaker was paused
    assert no_reason.status_code == 422
    assert unknown.status_code == 404 and "there are: tims" in unknown.json()["detail"]


async def test_secrets_are_listed_by_name_with_their_users_and_set_encrypted(
    tmp_path: Path, store: SqliteStore
) -> None:
    p = project(tmp_path)
    async with await api_client(store, "admin", project=p) as c:
        before = (await c.get("/api/secrets")).json()
        put = await c.put("/api/secrets/tims-key", json={"value": "s3cr3t-value"})
        bad = await c.put("/api/secrets/bad name!", json={"value": "x"})
        after = (await c.get("/api/secrets")).json()
    assert before == [{"name": "tims-key", "stored": False, "used_by": ["tims"]}]
    assert put.status_code == 200 and "next starts" in put.json()["applies"]
    assert bad.status_code == 422
    assert after == [{"name": "tims-key", "stored": True, "used_by": ["tims"]}]
    assert "s3cr3t-value" not in put.text + str(after)
    assert Vault.open(tmp_path).get("tims-key").get_secret_value() == "s3cr3t-value"
    assert b"s3cr3t-value" not in vault_file(tmp_path).read_bytes()


async def test_an_admin_changes_a_connections_settings_and_a_breaking_change_is_refused(
    tmp_path: Path, store: SqliteStore
) -> None:
    init_project(tmp_path / "p", "dynamics365-tims")
    p = Project.load(tmp_path / "p")
    async with await api_client(store, "admin", project=p) as c:
        shown = (await c.get("/api/connections/tims/settings")).json()
        changed = await c.put("/api/connections/tims/settings", json={"settings": {"url": "https://tims.example.com"}})
        broken = await c.put("/api/connections/tims/settings", json={"settings": {"api_key": None}})
        empty = await c.put("/api/connections/tims/settings", json={"settings": {}})
        unknown = await c.get("/api/connections/sap/settings")
    assert shown["type"] == "tims" and shown["settings"]["api_key"] == "${secret:tims-api-key}"
    assert changed.status_code == 200, changed.text
    assert changed.json()["settings"]["url"] == "https://tims.example.com"
    assert "+    url: https://tims.example.com" in changed.json()["diff"]
    assert broken.status_code == 422 and "ferry.yaml is unchanged" in broken.json()["detail"]
    assert "api_key: ${secret:tims-api-key}" in (tmp_path / "p" / "ferry.yaml").read_text()
    assert empty.status_code == 422 and unknown.status_code == 404
