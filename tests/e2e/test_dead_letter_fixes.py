"""Fixing dead letters through the control API, as the console does: a record refused for a bad value is
replayed with its payload edited (or a target value overridden) and arrives with the fix, once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.conftest import Harness, Systems, control_api, eventually, ferry_beside, live, quiet


async def refused_account(h: Harness, name: str) -> str:
    """An account TIMS cannot take: its country has no ISO code."""
    made = await h.d365.post(
        "accounts",
        json={
            "name": name,
            "customertypecode": 3,
            "address1_line1": "7 Lost Lane",
            "address1_city": "Springfield",
            "address1_country": "Atlantis",
        },
        headers={"Prefer": "return=representation"},
    )
    assert made.status_code == 201, made.text
    return str(made.json()["accountid"])


async def letter_of(api: httpx.AsyncClient, account_id: str) -> dict[str, Any]:
    async def found() -> dict[str, Any] | None:
        letters = (await api.get("/api/dead-letters")).json()
        return next((d for d in letters if d["record_id"] == account_id), None)

    return await eventually(found, within=60)


async def customer_of(h: Harness, account_id: str) -> dict[str, Any]:
    async def arrived() -> dict[str, Any] | None:
        found = (await h.tims.get("customers", params={"ExternalID": account_id})).json()["data"]
        return found[0] if found else None

    return await eventually(arrived, within=60)


async def test_a_refused_record_replayed_with_an_edited_payload_arrives_with_the_fix(
    tmp_path: Path, systems: Systems
) -> None:
    root = tmp_path / "p"
    async with live(root, systems) as h:
        assert h.runner is not None
        await quiet(h)
        async with control_api(h) as api:
            first = await refused_account(h, "Nowhere Gas Supply")
            second = await refused_account(h, "Nowhere Water Works")
            letter, other = await letter_of(api, first), await letter_of(api, second)

            [group] = (await api.get("/api/dead-letters/groups", params={"sync": "customers"})).json()
            assert group["count"] == 2 and sorted(group["letter_ids"]) == sorted([letter["id"], other["id"]])
            assert "Country" in group["cause"] and first not in group["cause"]
            listed = await ferry_beside("dlq", "groups", str(root), "--json")
            assert listed.returncode == 0, listed.stderr
            assert [(g["count"], g["cause"]) for g in json.loads(listed.stdout)] == [(2, group["cause"])]

            shown = (await api.get(f"/api/dead-letters/{letter['id']}")).json()
            assert shown["payload"]["address1_country"] == "Atlantis"  # the record as ferry read it
            refused = await api.post(
                f"/api/dead-letters/{letter['id']}/replay", json={"payload": ["not", "a", "record"]}
            )
            assert refused.status_code == 422 and "JSON object" in refused.text
            unknown = await api.post(f"/api/dead-letters/{letter['id']}/replay", json={"overrides": {"Kountry": "AU"}})
            assert unknown.status_code == 422
            assert "Kountry" in unknown.json()["detail"] and "BillingAddress.Country" in unknown.json()["detail"]

            edited = {**shown["payload"], "address1_country": "Australia"}
            replayed = await api.post(f"/api/dead-letters/{letter['id']}/replay", json={"payload": edited})
            assert replayed.status_code == 200, replayed.text
            assert replayed.json()["state"] == "replayed"
            customer = await customer_of(h, first)
            assert customer["BillingAddress"]["Country"] == "AU"

            # The second is fixed on the target's side: the value the mapping could not give, given.
            overridden = await api.post(
                f"/api/dead-letters/{other['id']}/replay", json={"overrides": {"BillingAddress.Country": "NZ"}}
            )
            assert overridden.status_code == 200, overridden.text
            assert (await customer_of(h, second))["BillingAddress"]["Country"] == "NZ"
            again = await api.post(f"/api/dead-letters/{other['id']}/replay")
            assert again.status_code == 409

            # ...or from the command line.
            third = await refused_account(h, "Nowhere Sand Co")
            typed = await letter_of(api, third)
            wrong = await ferry_beside("dlq", "replay", str(typed["id"]), "-p", str(root), "--set", "Kountry=NZ")
            assert wrong.returncode == 2 and "Kountry" in wrong.stderr
            fixed = await ferry_beside(
                "dlq", "replay", str(typed["id"]), "-p", str(root), "--set", "BillingAddress.Country=GB"
            )
            assert fixed.returncode == 0 and "1 record(s) queued again" in fixed.stdout, fixed.stderr
            h.engine.wake()
            assert (await customer_of(h, third))["BillingAddress"]["Country"] == "GB"

            # Once: Dynamics still holds its value, and the audit says who changed what.
            account = (await h.d365.get(f"accounts({first})", params={"$select": "address1_country"})).json()
            assert account["address1_country"] == "Atlantis"
            history = (await api.get(f"/api/records/customers/left/{first}")).json()
            created = next(a for a in history["audit"] if a["action"] == "created")
            edit = created["detail"]["edit"]
            assert edit["by"] == "ops" and edit["dead_letter"] == letter["id"]
            assert edit["changes"] == {"address1_country": {"before": "Atlantis", "after": "Australia"}}
            assert any(a["action"] == "dead-letter-replayed" for a in history["audit"])
            assert (await api.get("/api/dead-letters")).json() == []


async def test_a_group_is_replayed_at_once_after_its_cause_is_fixed_at_the_source(
    tmp_path: Path, systems: Systems
) -> None:
    async with live(tmp_path / "p", systems, webhooks=False) as h:  # polled: only a replay brings them now
        assert h.runner is not None
        async with control_api(h) as api:
            accounts = [await refused_account(h, f"Nowhere Depot {n}") for n in range(3)]
            await h.sync()
            [group] = (await api.get("/api/dead-letters/groups")).json()
            assert group["count"] == 3
            for account_id in accounts:
                r = await h.d365.patch(f"accounts({account_id})", json={"address1_country": "Canada"})
                assert r.status_code == 204, r.text

            body = {"sync": "customers", "cause": group["cause"], "error_class": group["error_class"]}
            replayed = (await api.post("/api/dead-letters/replay", json=body)).json()
            assert replayed["done"] == 3 and {o["outcome"] for o in replayed["letters"]} == {"replayed"}
            for account_id in accounts:
                assert (await customer_of(h, account_id))["BillingAddress"]["Country"] == "CA"
            again = await api.post("/api/dead-letters/replay", json={"ids": group["letter_ids"]})
            assert {o["outcome"] for o in again.json()["letters"]} == {"already replayed"}
            assert (await api.get("/api/dead-letters/groups")).json() == []
