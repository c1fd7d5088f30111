"""A conflict held by the `review` policy, decided field by field through the control API (as the console
does) and with `ferry reviews`: both systems end up holding the chosen values, and nothing bounces."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from tests.e2e.conftest import Harness, Systems, control_api, ferry_beside, live


async def conflicting_pair(h: Harness) -> tuple[str, int]:
    """A linked account and customer, both edited before ferry saw either edit."""
    await h.sync()
    customer = next(c for c in await h.customers() if c["ExternalID"])
    account_id, customer_id = customer["ExternalID"], customer["CustomerID"]
    r = await h.d365.patch(f"accounts({account_id})", json={"name": "Name From Dynamics", "creditlimit": 5000})
    assert r.status_code == 204, r.text
    await asyncio.sleep(1.2)  # Dataverse's modifiedon has whole seconds
    r = await h.tims.patch(f"customers/{customer_id}", json={"CompanyName": "Name From TIMS", "CreditLimit": "9000.00"})
    assert r.status_code == 200, r.text
    outcomes = await h.sync()
    assert outcomes.get("review", 0) >= 1
    return account_id, customer_id


async def settled(h: Harness) -> None:
    """Let the running engine carry out what a decision queued."""
    h.engine.wake()
    await asyncio.sleep(0.6)  # the workers look for new work at least twice a second
    async with asyncio.timeout(60):
        await h.engine.drain()


async def both(h: Harness, account_id: str, customer_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    account = (await h.d365.get(f"accounts({account_id})", params={"$select": "name,creditlimit"})).json()
    customer = (await h.tims.get(f"customers/{customer_id}")).json()
    return account, customer


async def test_a_review_resolved_per_field_leaves_both_systems_with_the_chosen_values(
    tmp_path: Path, systems: Systems
) -> None:
    async with live(tmp_path / "p", systems, webhooks=False, conflicts="{policy: review}") as h:
        assert h.runner is not None
        account_id, customer_id = await conflicting_pair(h)
        async with control_api(h) as api:
            [listed] = (await api.get("/api/reviews", params={"sync": "customers", "state": "open"})).json()
            review = (await api.get(f"/api/reviews/{listed['id']}")).json()
            assert (review["shape"], review["mapped"]) == ("right", "left")
            rows = {f["field"]: f for f in review["fields"] if f["differs"]}
            assert set(rows) == {"CompanyName", "CreditLimit"}, rows
            assert (rows["CompanyName"]["left"], rows["CompanyName"]["right"]) == (
                "Name From Dynamics",
                "Name From TIMS",
            )
            assert "account-to-customer" in review["sources"]["left"]

            wrong = await api.post(f"/api/reviews/{listed['id']}/resolve", json={"choices": {"CompanyName": "left"}})
            assert wrong.status_code == 422 and "CreditLimit" in wrong.json()["detail"]
            choices = {"CompanyName": {"value": "Agreed Name Ltd"}, "CreditLimit": "left"}
            decided = await api.post(f"/api/reviews/{listed['id']}/resolve", json={"choices": choices})
            assert decided.status_code == 200, decided.text
            assert {w["side"] for w in decided.json()["writes"]} == {"left", "right"}
            twice = await api.post(f"/api/reviews/{listed['id']}/resolve", json={"choices": choices})
            assert twice.status_code == 409

            await settled(h)
            account, customer = await both(h, account_id, customer_id)
            assert (account["name"], float(account["creditlimit"])) == ("Agreed Name Ltd", 5000.0)
            assert (customer["CompanyName"], float(customer["CreditLimit"])) == ("Agreed Name Ltd", 5000.0)
            echoes = await h.sync()  # the two writes come back as ferry's own, and change nothing
            assert set(echoes) <= {"echo", "stale", "settled"}, echoes
            assert await h.sync() == {}

            history = (await api.get(f"/api/records/customers/left/{account_id}")).json()
            [resolved] = [a for a in history["audit"] if a["action"] == "review-resolved"]
            assert resolved["detail"]["by"] == "ops" and resolved["detail"]["choices"] == choices
            assert (await api.get("/api/reviews")).json() == []
            [closed] = (await api.get("/api/reviews", params={"state": "resolved"})).json()
            assert closed["decided_by"] == "ops"


async def test_ferry_reviews_resolves_from_the_command_line(tmp_path: Path, systems: Systems) -> None:
    root = tmp_path / "p"
    async with live(root, systems, webhooks=False, conflicts="{policy: review}") as h:
        account_id, customer_id = await conflicting_pair(h)
        listed = await ferry_beside("reviews", "list", str(root), "--json")
        assert listed.returncode == 0, listed.stderr
        [review] = json.loads(listed.stdout)
        shown = await ferry_beside("reviews", "show", str(review["id"]), "--project", str(root))
        assert "CompanyName" in shown.stdout and "Name From TIMS" in shown.stdout

        resolved = await ferry_beside(
            "reviews",
            "resolve",
            str(review["id"]),
            "--project",
            str(root),
            "--take",
            "right",
            "--set",
            "CreditLimit=7500",
        )
        assert resolved.returncode == 0, resolved.stdout + resolved.stderr
        await settled(h)
        account, customer = await both(h, account_id, customer_id)
        assert (account["name"], float(account["creditlimit"])) == ("Name From TIMS", 7500.0)
        assert (customer["CompanyName"], float(customer["CreditLimit"])) == ("Name From TIMS", 7500.0)
        again = await ferry_beside("reviews", "resolve", str(review["id"]), "--project", str(root), "--take", "left")
        assert again.returncode != 0 and "already resolved" in again.stderr
