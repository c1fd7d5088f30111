from __future__ import annotations

import json
import re
from typing import Any

import httpx

from ferry.sandboxes.dynamics365 import Dynamics365Sandbox
from tests.sandboxes.dynamics365.conftest import API

BOUNDARY = "batch_AAA123"


def part(method: str, url: str, body: dict[str, Any] | None = None, content_id: str | None = None) -> str:
    lines = ["Content-Type: application/http", "Content-Transfer-Encoding: binary"]
    if content_id:
        lines.append(f"Content-ID: {content_id}")
    lines += ["", f"{method} {url} HTTP/1.1"]
    if body is not None:
        lines += ["Content-Type: application/json; type=entry", "", json.dumps(body)]
    else:
        lines += ["Accept: application/json", ""]
    return "\r\n".join(lines)


def changeset(name: str, parts: list[str]) -> str:
    inner = "".join(f"--{name}\r\n{p}\r\n" for p in parts) + f"--{name}--"
    return f"Content-Type: multipart/mixed; boundary={name}\r\n\r\n{inner}"


def batch(parts: list[str]) -> bytes:
    return ("".join(f"--{BOUNDARY}\r\n{p}\r\n" for p in parts) + f"--{BOUNDARY}--\r\n").encode()


async def send(api: httpx.AsyncClient, parts: list[str], prefer: str | None = None) -> httpx.Response:
    headers = {"Content-Type": f"multipart/mixed; boundary={BOUNDARY}"}
    if prefer:
        headers["Prefer"] = prefer
    return await api.post("$batch", content=batch(parts), headers=headers)


def statuses(text: str) -> list[int]:
    return [int(s) for s in re.findall(r"HTTP/1\.1 (\d{3})", text)]


async def count(api: httpx.AsyncClient, set_name: str, flt: str) -> int:
    return len((await api.get(set_name, params={"$filter": flt})).json()["value"])


async def test_changeset_with_content_id_reference_creates_both(api: httpx.AsyncClient) -> None:
    r = await send(
        api,
        [
            changeset(
                "changeset_1",
                [
                    part("POST", f"{API}/accounts", {"name": "Batch Co", "accountnumber": "B-1"}, "1"),
                    part(
                        "POST",
                        "/api/data/v9.2/contacts",
                        {"lastname": "Batchperson", "parentcustomerid_account@odata.bind": "$1"},
                        "2",
                    ),
                ],
            )
        ],
    )
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("multipart/mixed; boundary=batchresponse_")
    assert statuses(r.text) == [204, 204]
    assert "changesetresponse_" in r.text
    account = (await api.get("accounts(accountnumber='B-1')")).json()
    contacts = (await api.get("contacts", params={"$filter": "lastname eq 'Batchperson'"})).json()["value"]
    assert contacts[0]["_parentcustomerid_value"] == account["accountid"]


async def test_failure_in_a_changeset_rolls_back_every_part(api: httpx.AsyncClient) -> None:
    r = await send(
        api,
        [
            changeset(
                "changeset_2",
                [
                    part("POST", "accounts", {"name": "Rolled back", "accountnumber": "RB-1"}, "1"),
                    part("POST", "accounts", {"name": "Bad", "nosuchcolumn": 1}, "2"),
                ],
            )
        ],
    )
    assert r.status_code == 400
    assert statuses(r.text) == [400]
    assert await count(api, "accounts", "accountnumber eq 'RB-1'") == 0


async def test_continue_on_error_reports_each_part_and_keeps_the_good_ones(api: httpx.AsyncClient) -> None:
    r = await send(
        api,
        [
            part("POST", "accounts", {"name": "Good one", "accountnumber": "CE-1"}),
            part("POST", "accounts", {"name": "Bad", "creditlimit": "lots"}),
            part("GET", "accounts(accountnumber='CE-1')?$select=name"),
        ],
        prefer="odata.continue-on-error",
    )
    assert r.status_code == 200
    assert statuses(r.text) == [204, 400, 200]
    assert '"name":"Good one"' in r.text


async def test_without_continue_on_error_the_batch_stops_at_the_first_failure(api: httpx.AsyncClient) -> None:
    r = await send(
        api,
        [
            part("POST", "accounts", {"name": "x", "nosuch": 1}),
            part("POST", "accounts", {"name": "Never", "accountnumber": "NV-1"}),
        ],
    )
    assert r.status_code == 400
    assert statuses(r.text) == [400]
    assert await count(api, "accounts", "accountnumber eq 'NV-1'") == 0


async def test_get_inside_a_changeset_is_refused(api: httpx.AsyncClient) -> None:
    r = await send(api, [changeset("changeset_3", [part("GET", "accounts")])])
    assert r.status_code == 400


async def test_unknown_content_id_reference_is_reported(api: httpx.AsyncClient) -> None:
    r = await send(
        api,
        [
            changeset(
                "changeset_4",
                [
                    part("POST", "contacts", {"lastname": "x", "parentcustomerid_account@odata.bind": "$9"}, "1"),
                ],
            )
        ],
    )
    assert r.status_code == 400
    assert "Content-ID Reference: '$9' does not exist in the batch context." in r.text


async def test_batch_without_boundary_is_400(api: httpx.AsyncClient) -> None:
    r = await api.post("$batch", content=b"nothing", headers={"Content-Type": "application/json"})
    assert r.status_code == 400


async def test_a_batch_counts_once_against_the_request_limit(api: httpx.AsyncClient, anon: httpx.AsyncClient) -> None:
    # Dataverse: batching "will avoid the number of requests limit" (the execution-time limit still applies).
    await anon.post("/_sandbox/faults", json={"rate_limit": {"requests": 2, "per_seconds": 60}})
    creates = [part("POST", "accounts", {"name": f"Counted once {n}"}) for n in range(5)]
    r = await send(api, creates, "odata.continue-on-error")
    assert r.status_code == 200 and statuses(r.text) == [204] * 5
    assert (await api.get("WhoAmI")).status_code == 200
    assert (await api.get("WhoAmI")).status_code == 429


async def test_stats_count_a_batch_of_gets_as_reads_and_one_with_a_change_as_a_write(
    api: httpx.AsyncClient, sandbox: Dynamics365Sandbox
) -> None:
    account = (await api.get("accounts", params={"$top": "1", "$select": "accountid"})).json()["value"][0]
    before = sandbox.stats.snapshot()["writes"]
    r = await send(api, [part("GET", f"{API}/accounts({account['accountid']})"), part("GET", f"{API}/WhoAmI")])
    assert statuses(r.text) == [200, 200]
    assert sandbox.stats.snapshot()["writes"] == before  # only reads, though the batch travels as a POST
    r = await send(
        api,
        [
            part("GET", f"{API}/accounts({account['accountid']})"),
            changeset("changeset_1", [part("PATCH", f"{API}/accounts({account['accountid']})", {"name": "Renamed"})]),
        ],
    )
    assert statuses(r.text) == [200, 204]
    assert sandbox.stats.snapshot()["writes"] == before + 1
