"""Record search and lineage over `ferry run`'s API and the CLI, with both sandboxes on real sockets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from ferry.access import AccessStore
from tests.e2e.conftest import Harness, Systems, eventually, ferry_beside, live, quiet

ACCOUNT = {
    "name": "Lineage Welding Supply",
    "accountnumber": "LW-4242",
    "customertypecode": 3,
    "emailaddress1": "orders@lineage-welding.example",
    "telephone1": "+1 512 555 0142",
    "address1_line1": "42 Foundry Road",
    "address1_city": "Austin",
    "address1_stateorprovince": "TX",
    "address1_postalcode": "78701",
    "address1_country": "United States",
}


async def linked_customer(h: Harness, account_id: str, name: str) -> dict[str, Any] | None:
    found = (await h.tims.get("customers", params={"ExternalID": account_id})).json()["data"]
    return found[0] if found and found[0]["CompanyName"] == name else None


async def test_a_dynamics_customer_is_found_by_email_name_and_tims_number_and_its_lineage_tells_its_story(
    tmp_path: Path, systems: Systems
) -> None:
    root = tmp_path / "p"
    async with live(root, systems, poll_seconds=None) as h:
        assert h.runner is not None
        people = AccessStore(h.assembly.store)
        await people.add_user("support", "viewer", "a-long-password")  # finding records needs no more
        token = {"Authorization": f"Bearer {await people.issue_token('support', 'records test')}"}
        async with httpx.AsyncClient(base_url=h.runner.listen.url, headers=token, timeout=30) as api:
            made = await h.d365.post("accounts", json=ACCOUNT, headers={"Prefer": "return=representation"})
            assert made.status_code == 201, made.text
            account_id = made.json()["accountid"]
            customer = await eventually(lambda: linked_customer(h, account_id, ACCOUNT["name"]), within=30)
            number = str(customer["CustomerID"])
            await quiet(h)

            async def search(q: str) -> list[dict[str, Any]]:
                answer = await api.get("/api/records/search", params={"q": q})
                assert answer.status_code == 200, answer.text
                return list(answer.json())

            by_email = await search("ORDERS@lineage-welding.example")
            by_name = await search("lineage welding")
            by_number = await search(number)
            account = {"sync": "customers", "side": "left", "record_id": account_id}
            tims_customer = {"sync": "customers", "side": "right", "record_id": number}

            def keys(matches: list[dict[str, Any]]) -> list[dict[str, str]]:
                return [{k: m[k] for k in ("sync", "side", "record_id")} for m in matches]

            assert account in keys(by_email) and tims_customer in keys(by_email)
            assert account in keys(by_name) and tims_customer in keys(by_name)
            assert account in keys(by_number) and tims_customer in keys(by_number)
            [hit] = [m for m in by_email if m["side"] == "left"]
            assert (hit["connection"], hit["entity"], hit["twin_id"]) == ("d365", "accounts", number)
            assert hit["label"] == "Lineage Welding Supply (LW-4242)"

            renamed = "Lineage Welding & Gas"
            r = await h.d365.patch(f"accounts({account_id})", json={"name": renamed})
            assert r.status_code == 204
            await eventually(lambda: linked_customer(h, account_id, renamed), within=30)
            await quiet(h)

            answer = await api.get(f"/api/lineage/customers/left/{account_id}")
            assert answer.status_code == 200, answer.text
            lineage = answer.json()
            twin_trail = await api.get(lineage["twin"]["lineage_url"])
            labels = {m["side"]: m["label"] for m in await search("gas")}

        found = await ferry_beside("records", "find", str(root), "LW-4242", "--json")
        shown = await ferry_beside("records", "show", str(root), "customers", "left", account_id, "--json")
        table = await ferry_beside("records", "show", str(root), "customers", "left", account_id)

    assert labels == {"left": "Lineage Welding & Gas (LW-4242)", "right": f"Lineage Welding & Gas ({number})"}
    assert lineage["record"]["label"] == "Lineage Welding & Gas (LW-4242)"
    assert lineage["twin"]["record_id"] == number and lineage["twin"]["side"] == "right"
    timeline = lineage["timeline"]
    story = [(m["kind"], m["detail"].get("source") or m["detail"].get("action")) for m in timeline]
    assert story == [("event", "webhook"), ("write", "created"), ("event", "webhook"), ("write", "updated")], story
    created, updated = timeline[1], timeline[3]
    assert created["detail"]["target_id"] == number and created["detail"]["after"]["CompanyName"] == ACCOUNT["name"]
    assert updated["detail"]["before"] == {"CompanyName": ACCOUNT["name"]}
    assert updated["detail"]["after"] == {"CompanyName": renamed}
    assert all(m["detail"].get("state") == "done" for m in timeline if m["kind"] == "event")
    # The twin's own trail: the writes it received, and its own change notices (echoes of those writes).
    assert twin_trail.status_code == 200
    received = [m["detail"]["action"] for m in twin_trail.json()["timeline"] if m["kind"] == "write"]
    assert received == ["created", "updated"]
    assert twin_trail.json()["twin"]["record_id"] == account_id

    assert found.returncode == 0, found.stderr
    assert [(m["side"], m["record_id"]) for m in json.loads(found.stdout)] == [("left", account_id)]
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["timeline"] == timeline
    assert table.returncode == 0 and "Lineage Welding & Gas (LW-4242)" in table.stdout and "updated" in table.stdout
