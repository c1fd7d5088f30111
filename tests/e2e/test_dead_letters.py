"""A record ferry cannot sync goes to the dead-letter queue with its reason and payload; after the cause
is fixed, `ferry dlq replay` syncs it. A broken project is refused before anything runs."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from tests.e2e.conftest import UNMAPPABLE_ACCOUNT, Systems, ferry, make_project, polled


async def test_a_refused_record_is_dead_lettered_and_replayed_after_the_fix(tmp_path: Path, systems: Systems) -> None:
    root = tmp_path / "p"
    async with polled(root, systems) as h:
        await h.sync()
        made = await h.d365.post(
            "accounts",
            json=UNMAPPABLE_ACCOUNT,
            headers={"Prefer": "return=representation"},
        )
        account_id = made.json()["accountid"]
        outcomes = await h.sync()
        assert outcomes.get("dead") == 1

        listed = ferry("dlq", "list", str(root), "--json")
        assert listed.returncode == 0, listed.stderr
        [letter] = json.loads(listed.stdout)
        assert letter["record_id"] == account_id and letter["side"] == "left"
        assert "Country" in letter["error"]
        shown = json.loads(ferry("dlq", "show", str(letter["id"]), str(root), "--json").stdout)
        assert shown["payload"]["name"] == "Nowhere Gas Supply"  # what ferry had in hand
        assert shown["payload"]["address1_country"] == "Atlantis"
        assert (await h.tims.get("customers", params={"ExternalID": account_id})).json()["data"] == []

        # The cause is fixed in Dynamics; no poll runs, so only the replay can bring the record over.
        r = await h.d365.patch(f"accounts({account_id})", json={"address1_country": "Australia"})
        assert r.status_code == 204
        replayed = ferry("dlq", "replay", str(letter["id"]), "--project", str(root))
        assert replayed.returncode == 0 and "1 record(s) queued again" in replayed.stdout
        h.engine.wake()
        await asyncio.sleep(0.6)  # the workers look for new work at least twice a second
        async with asyncio.timeout(30):
            await h.engine.drain()

        [customer] = (await h.tims.get("customers", params={"ExternalID": account_id})).json()["data"]
        assert customer["BillingAddress"]["Country"] == "AU"
        assert json.loads(ferry("dlq", "list", str(root), "--json").stdout) == []


def test_ferry_run_on_a_broken_project_exits_2_with_the_problems(tmp_path: Path, systems: Systems) -> None:
    root = tmp_path / "p"
    make_project(root, systems)
    text = (root / "ferry.yaml").read_text()
    text = text.replace("connection: tims\n", "connection: timz\n")  # a connection that does not exist
    text = text.replace("mappings/customer-to-account.yaml", "mappings/missing.yaml")
    (root / "ferry.yaml").write_text(text)

    result = ferry("run", str(root), "--listen", "127.0.0.1:0")

    assert result.returncode == 2
    output = result.stdout + result.stderr
    assert "timz" in output and "missing.yaml" in output
    assert "ferry.yaml:" in output  # each problem says where
    assert "Traceback" not in output
