from __future__ import annotations

import httpx
import pytest

from ferry.sandboxes.dynamics365 import Dynamics365Sandbox
from tests.sandboxes.dynamics365.conftest import BASE


async def test_rate_limit_fault_answers_429_with_retry_after(api: httpx.AsyncClient, anon: httpx.AsyncClient) -> None:
    await anon.post("/_sandbox/faults", json={"rate_limit": {"requests": 3, "per_seconds": 60}})
    statuses = [(await api.get("WhoAmI")).status_code for _ in range(4)]
    refused = await api.get("WhoAmI")
    assert statuses == [200, 200, 200, 429]
    assert int(refused.headers["retry-after"]) > 0
    assert refused.json()["error"]["code"] == "0x80072322"
    assert "over time window of 60 seconds" in refused.json()["error"]["message"]
    await anon.delete("/_sandbox/faults")
    assert (await api.get("WhoAmI")).status_code == 200


async def test_each_response_reports_remaining_burst(api: httpx.AsyncClient) -> None:
    first = int((await api.get("WhoAmI")).headers["x-ms-ratelimit-burst-remaining-xrm-requests"])
    second = int((await api.get("WhoAmI")).headers["x-ms-ratelimit-burst-remaining-xrm-requests"])
    assert second == first - 1


async def test_injected_503_has_the_dataverse_error_shape(api: httpx.AsyncClient, anon: httpx.AsyncClient) -> None:
    await anon.post("/_sandbox/faults", json={"error_next": 1, "error_status": 503})
    r = await api.get("accounts")
    assert r.status_code == 503
    assert set(r.json()["error"]) == {"code", "message"}


def test_same_seed_gives_the_same_data_and_another_seed_does_not() -> None:
    def snapshot(seed: int) -> list[tuple[str, str, str | None]]:
        sandbox = Dynamics365Sandbox(seed=seed, base_url=BASE, sizes={"accounts": 15, "salesorders": 3})
        rows = sandbox.service.store.rows["account"].values()
        return sorted((r["accountid"], r["name"], r["accountnumber"]) for r in rows)

    assert snapshot(7) == snapshot(7)
    assert snapshot(7) != snapshot(8)


async def test_reset_restores_the_seeded_records(api: httpx.AsyncClient, anon: httpx.AsyncClient) -> None:
    before = (await api.get("accounts", params={"$select": "name"})).json()["value"]
    await api.post("accounts", json={"name": "Temporary"})
    await anon.post("/_sandbox/reset", json={})
    after = (await api.get("accounts", params={"$select": "name"})).json()["value"]
    assert sorted(a["accountid"] for a in after) == sorted(a["accountid"] for a in before)


@pytest.mark.parametrize(
    "path",
    [
        "accounts(",
        "accounts(not-a-guid)",
        "accounts(accountnumber=)",
        "accounts(nosuchkey='x')",
        "accounts(00000000-0000-0000-0000-000000000001)/nosuch",
        "accounts/$count/extra",
        "accounts?$top=-1",
        "accounts?$orderby=name sideways",
        "accounts?$expand=nosuch",
        "accounts?$select=",
        "accounts?$filter=",
        "accounts?$filter=name eq 'unterminated",
        "accounts?$filter=Microsoft.Dynamics.CRM.LastXDays(PropertyName='createdon',PropertyValue='x')",
        "accounts?$count=maybe",
        "%ZZ",
        "accounts?$expand=primarycontactid($filter=fullname eq 'x')",
    ],
)
async def test_malformed_requests_get_4xx_never_500(api: httpx.AsyncClient, path: str) -> None:
    r = await api.get(path)
    assert 400 <= r.status_code < 500, r.text
    assert "Traceback" not in r.text
