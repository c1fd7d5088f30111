"""Changes made while ferry was stopped are caught up when it starts again, each exactly once."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from tests.e2e.conftest import Harness, Systems, eventually, live, quiet

UNLIMITED = {"rate_limit": {"requests": 1_000_000, "per_seconds": 1}}


async def linked_customers(h: Harness, account_ids: set[str]) -> Counter[str]:
    return Counter(c["ExternalID"] for c in await h.customers(include_inactive=True) if c["ExternalID"] in account_ids)


async def test_a_thousand_accounts_created_while_ferry_was_down_arrive_once_each(
    tmp_path: Path, systems: Systems
) -> None:
    root = tmp_path / "p"
    async with live(root, systems) as h:  # first run: subscribes, loads what exists, then stops
        assert h.runner is not None
        port = h.runner.listen.port
        await quiet(h)
        customers_before = len(await h.customers(include_inactive=True))
        for client in h.control.values():
            assert (await client.post("/_sandbox/faults", json=UNLIMITED)).status_code == 200

        # ferry is down: Dataverse's webhooks to it fail, and only its change tracking remembers.
        made = await h.control["d365"].post(
            "/_sandbox/generate", json={"entity": "accounts", "count": 1000, "wait": True}, timeout=120
        )
        assert made.status_code == 200, made.text
        account_ids = set(made.json()["ids"])
        assert len(account_ids) == 1000

    async with live(root, systems, port=port) as h:  # started again on the same address

        async def all_arrived() -> bool:
            return len(await linked_customers(h, account_ids)) == len(account_ids)

        await eventually(all_arrived, within=120, every=1.0)
        await quiet(h)
        found = await linked_customers(h, account_ids)
        assert set(found.values()) == {1}  # exactly one TIMS customer per account
        assert len(await h.customers(include_inactive=True)) == customers_before + 1000
        assert await h.assembly.store.dead_letters() == []
