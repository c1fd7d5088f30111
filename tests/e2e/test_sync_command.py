"""`ferry sync --initial` as a user runs it: the CLI, the template project, both sandboxes on sockets."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from ferry.cli.main import app
from tests.e2e.conftest import Systems, clients, make_project


async def test_sync_initial_pairs_existing_records_through_its_read_and_creates_the_rest(
    tmp_path: Path, systems: Systems
) -> None:
    root = tmp_path / "project"
    make_project(root, systems)
    d365, tims, control = await clients(systems)
    try:

        async def everything(client: Any, path: str, params: dict[str, str], key: str) -> list[dict[str, Any]]:
            return list((await client.get(path, params=params)).json()[key])

        accounts = await everything(d365, "accounts", {"$filter": "customertypecode eq 3"}, "value")
        before = await everything(tims, "customers", {"pageSize": "500"}, "data")
        twin = next(a for a in accounts if a["emailaddress1"])
        typed = {"CompanyName": f"  {twin['name'].upper()} ", "Email": twin["emailaddress1"], "Currency": "USD"}
        made = (await tims.post("customers", json=typed)).json()  # typed in TIMS by a person, not linked

        result = await asyncio.to_thread(CliRunner().invoke, app, ["sync", str(root), "--initial"])
        assert result.exit_code == 0, result.output
        assert "done:" in result.output and "created" in result.output

        after = await everything(tims, "customers", {"pageSize": "500"}, "data")
        linked = {c["ExternalID"]: c for c in after if c["ExternalID"]}
        assert linked[twin["accountid"]]["CustomerID"] == made["CustomerID"]  # matched, not doubled
        assert {a["accountid"] for a in accounts} <= set(linked)  # every account has its customer
        assert len(after) == len(before) + 1 + len(accounts) - 1
    finally:
        for client in (d365, tims, *control.values()):
            await client.aclose()
