"""The control API's mapping suggestions, over a real store whose dead letters give sample records."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from typer.testing import CliRunner

from ferry.cli.main import app
from ferry.engine.spec import SideSpec, SyncSpec
from ferry.engine.store import NewEvent, SqliteStore
from ferry.project import Project
from tests.unit.api.clients import api_client
from tests.unit.engine.fakes import Rename

SPEC = SyncSpec(
    "customers",
    SideSpec("dynamics", "accounts"),
    SideSpec("tims", "customers"),
    maps={
        "left": Rename("l2r", {"name": "CompanyName"}),
        "right": Rename("r2l", {"CompanyName": "name"}),
    },
)
ONE_WAY = SyncSpec(
    "stock", SideSpec("tims", "inventory"), SideSpec("shop", "levels"), maps={}, direction="left_to_right"
)
ACCOUNT = {
    "name": "Acme",
    "emailaddress1": "ap@acme.example",
    "telephone1": "+1 406 555 0100",
    "address1_city": "Billings",
    "address1_country": "United States",
    "@odata.etag": 'W/"1"',
}


async def client(store: SqliteStore, role: str = "viewer") -> httpx.AsyncClient:
    return await api_client(store, role, specs={"customers": SPEC, "stock": ONE_WAY})


async def seen(store: SqliteStore, record: dict[str, Any]) -> None:
    await store.enqueue([NewEvent("customers", "left", "a1", version="1", payload=record)])
    [claim] = await store.claim(worker="w", limit=1, lease_seconds=30)
    await store.dead_letter(claim, error_class="ValidationError", error="refused", payload=record)


async def test_a_viewer_gets_ranked_suggestions_from_the_records_ferry_has_seen(store: SqliteStore) -> None:
    await seen(store, ACCOUNT)
    async with await client(store) as api:
        reply = await api.get(
            "/api/flows/customers/suggestions",
            params={"direction": "left_to_right", "target": "BillingAddress.Country"},
        )
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["source"] == "dynamics/accounts" and body["target"] == "tims/customers"
    assert body["samples"] == 1 and body["mapped"] is False
    assert body["candidates"] == 5  # the etag annotation is no field
    best = body["suggestions"][0]
    assert best["source"] == "address1_country"
    assert best["expression"] == "country_code(address1_country)"
    assert 0 < best["confidence"] <= 1 and "country" in best["reason"]


async def test_without_samples_the_fields_the_mapping_reads_are_the_candidates(store: SqliteStore) -> None:
    async with await client(store) as api:
        body = (
            await api.get("/api/flows/customers/suggestions", params={"direction": "right_to_left", "target": "name"})
        ).json()
    assert body["samples"] == 0 and body["mapped"] is True
    assert [s["source"] for s in body["suggestions"]] == ["CompanyName"]


async def test_unknown_flows_directions_and_fields_are_refused_with_the_reason(store: SqliteStore) -> None:
    async with await client(store) as api:
        unknown = await api.get("/api/flows/vendors/suggestions", params={"target": "Email"})
        both = await api.get("/api/flows/customers/suggestions", params={"target": "Email"})
        wrong_way = await api.get(
            "/api/flows/stock/suggestions", params={"direction": "right_to_left", "target": "available"}
        )
        no_map = await api.get("/api/flows/stock/suggestions", params={"target": "available"})
        bad_field = await api.get(
            "/api/flows/customers/suggestions", params={"direction": "left_to_right", "target": "a..b"}
        )
        missing = await api.get("/api/flows/customers/suggestions", params={"direction": "left_to_right"})
    assert unknown.status_code == 404 and "customers, stock" in unknown.json()["detail"]
    assert both.status_code == 422 and "both ways" in both.json()["detail"]
    assert wrong_way.status_code == 422 and "only goes left to right" in wrong_way.json()["detail"]
    assert no_map.status_code == 422 and "no mapping" in no_map.json()["detail"]
    assert bad_field.status_code == 422 and "not a field path" in bad_field.json()["detail"]
    assert missing.status_code == 422


async def test_a_person_without_a_role_gets_nothing(store: SqliteStore) -> None:
    async with await api_client(store, None, specs={"customers": SPEC}) as api:
        reply = await api.get("/api/flows/customers/suggestions", params={"direction": "left_to_right", "target": "x"})
    assert reply.status_code == 401


async def test_the_running_projects_lookup_tables_are_offered_for_codes(store: SqliteStore, tmp_path: Path) -> None:
    assert CliRunner().invoke(app, ["init", str(tmp_path), "--template", "dynamics365-tims"]).exit_code == 0
    await seen(store, {**ACCOUNT, "paymenttermscode": 4})
    options: dict[str, Any] = {"specs": {"customers": SPEC}, "project": Project.load(tmp_path)}
    async with await api_client(store, "viewer", **options) as api:
        reply = await api.get(
            "/api/flows/customers/suggestions", params={"direction": "left_to_right", "target": "Terms"}
        )
    assert reply.json()["suggestions"][0]["expression"] == "lookup('payment_terms', paymenttermscode)"
