"""`ferry mapping test --live`: records read now from the sandboxes through the project's own connections,
mapped as the sync would map them, and nothing written anywhere."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from ferry.run.assemble import STATE_FILE
from tests.e2e.conftest import Systems, clients, ferry_beside, make_project


async def record_writes(control: dict[str, httpx.AsyncClient]) -> dict[str, int]:
    """Writes to records each system has counted by route; a sign-in (the token POST) is not one."""
    counts = {}
    for name, client in control.items():
        routes = (await client.get("/_sandbox/stats")).json()["by_route"]
        counts[name] = sum(n for route, n in routes.items() if route.split()[0] != "GET" and "token" not in route)
    return counts


async def test_live_maps_records_read_from_the_source_and_writes_nothing(tmp_path: Path, systems: Systems) -> None:
    root = tmp_path / "project"
    make_project(root, systems, syncs=("customers",))
    d365, tims, control = await clients(systems)
    try:
        writes = await record_writes(control)

        shown = await ferry_beside("mapping", "test", str(root), "customers", "--live", "d365:accounts:3", "--json")
        assert shown.returncode == 0, shown.stderr
        records = json.loads(shown.stdout)["records"]
        accounts = {a["accountid"]: a for a in (await d365.get("accounts")).json()["value"]}
        assert len(records) == 3
        for record in records:
            assert (record["sync"], record["mapping"], record["entity"]) == (
                "customers",
                "account-to-customer",
                "accounts",
            )
            account = accounts[record["id"]]
            assert record["input"]["name"] == account["name"]
            assert "primarycontactid" in record["input"]  # read with the sync's $expand
            if not record["failure"]:
                assert record["output"]["CompanyName"] == account["name"].strip()
                assert record["output"]["ExternalID"] == record["id"]

        both = await ferry_beside("mapping", "test", str(root), "--from-source")
        assert both.returncode == 0, both.stderr
        text = " ".join(both.stdout.split())
        assert "d365.accounts" in text and "tims.customers" in text
        assert "10 records mapped" in text and "nothing was written" in text

        assert await record_writes(control) == writes
        assert not (root / STATE_FILE).exists()  # no store opened either
    finally:
        for client in (d365, tims, *control.values()):
            await client.aclose()


async def test_live_names_the_sources_when_none_matches(tmp_path: Path, systems: Systems) -> None:
    root = tmp_path / "project"
    make_project(root, systems, syncs=("customers",))
    shown = await ferry_beside("mapping", "test", str(root), "--live", "shop:orders")
    assert shown.returncode == 2
    text = " ".join(shown.stderr.split())
    assert "no sync maps records from shop:orders" in text and "d365:accounts, tims:customers" in text
    assert "Traceback" not in shown.stderr
