from __future__ import annotations

from typing import Any

import httpx

from ferry.sandboxes.dynamics365 import Dynamics365Sandbox
from ferry.sandboxes.kit import ManualClock
from tests.sandboxes.dynamics365.conftest import fetch_token

TRACK = {"Prefer": "odata.track-changes"}


async def delta_link(api: httpx.AsyncClient, set_name: str, select: str) -> str:
    r = await api.get(set_name, params={"$select": select}, headers=TRACK)
    assert r.status_code == 200
    assert r.headers["preference-applied"] == "odata.track-changes"
    link: str = r.json()["@odata.deltaLink"]
    return link


async def test_initial_tracking_query_returns_everything_and_a_delta_link(api: httpx.AsyncClient) -> None:
    r = await api.get("accounts", params={"$select": "name"}, headers=TRACK)
    everything = (await api.get("accounts", params={"$select": "name"})).json()["value"]
    assert len(r.json()["value"]) == len(everything)
    assert "$deltatoken=" in r.json()["@odata.deltaLink"]
    assert "$select=name" in r.json()["@odata.deltaLink"]


async def test_delta_after_an_update_returns_just_that_change(api: httpx.AsyncClient) -> None:
    link = await delta_link(api, "accounts", "name,telephone1")
    account = (await api.get("accounts", params={"$top": "1"})).json()["value"][0]
    await api.patch(f"accounts({account['accountid']})", json={"telephone1": "+44 20 7946 0000"})
    body = (await api.get(link)).json()
    assert body["@odata.context"].endswith("/$delta")
    assert [(r["accountid"], r["telephone1"]) for r in body["value"]] == [(account["accountid"], "+44 20 7946 0000")]
    again = (await api.get(body["@odata.deltaLink"])).json()
    assert again["value"] == []


async def test_delta_reports_creates_then_deletes(api: httpx.AsyncClient) -> None:
    link = await delta_link(api, "contacts", "fullname")
    created = await api.post("contacts", json={"lastname": "New"})
    existing = (await api.get("contacts", params={"$top": "2"})).json()["value"]
    # Not the contact just made (ids are random, so it may sort first).
    doomed = next(c for c in existing if c["contactid"] not in created.headers["odata-entityid"])
    await api.delete(f"contacts({doomed['contactid']})")
    rows: list[dict[str, Any]] = (await api.get(link)).json()["value"]
    assert rows[0]["contactid"] in created.headers["odata-entityid"]
    assert rows[-1] == {"@odata.context": rows[-1]["@odata.context"], "id": doomed["contactid"], "reason": "deleted"}
    assert rows[-1]["@odata.context"].endswith("$metadata#contacts/$deletedEntity")


async def test_tracking_with_paging_hands_out_the_delta_link_on_the_last_page(api: httpx.AsyncClient) -> None:
    headers = {"Prefer": "odata.track-changes,odata.maxpagesize=15"}
    r = await api.get("accounts", params={"$select": "name"}, headers=headers)
    pages = 1
    while "@odata.nextLink" in r.json():
        assert "@odata.deltaLink" not in r.json()
        r = await api.get(r.json()["@odata.nextLink"], headers=headers)
        pages += 1
    assert pages > 1
    assert "@odata.deltaLink" in r.json()


async def test_tracking_refuses_filter(api: httpx.AsyncClient) -> None:
    r = await api.get("accounts", params={"$filter": "statecode eq 0"}, headers=TRACK)
    assert r.status_code == 400
    assert "isn't supported when Change Tracking is enabled" in r.json()["error"]["message"]


async def test_expired_delta_token_asks_for_a_full_sync(
    api: httpx.AsyncClient, anon: httpx.AsyncClient, sandbox: Dynamics365Sandbox, clock: ManualClock
) -> None:
    link = await delta_link(api, "accounts", "name")
    clock.advance(8 * 24 * 3600)
    api.headers["Authorization"] = f"Bearer {await fetch_token(anon, sandbox)}"
    r = await api.get(link)
    assert r.status_code == 400
    assert "perform a full sync" in r.json()["error"]["message"]


async def test_garbage_tokens_are_400_not_500(api: httpx.AsyncClient) -> None:
    assert (await api.get("accounts", params={"$deltatoken": "abc"})).status_code == 400
    assert (await api.get("accounts", params={"$skiptoken": "<cookie/>"})).status_code == 400
