"""Alerts in a running project: a record ferry cannot sync dead-letters, and the alert reaches a Slack-style
webhook with a link to the dead letters; handling the letter resolves it, and that arrives too. The CLI
lists the alert and tries a channel."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx

from ferry.access import AccessStore
from ferry.vault import Vault
from tests.e2e.conftest import UNMAPPABLE_ACCOUNT, Systems, eventually, ferry_beside, live, make_project
from tests.receivers import Webhook, webhook

ALERTS = """
alerts:
  every: 1s
  channels:
    ops:
      type: webhook
      format: slack
      url: ${secret:ops-webhook}
  rules:
    - name: dead-letters
      kind: dlq_size
      sync: customers
      channels: [ops]
"""
AUTH = """
    - name: credentials
      kind: auth_failure
      channels: [ops]
"""


def project_with_alerts(root: Path, systems: Systems, hook: Webhook, rules: str = "") -> None:
    make_project(root, systems)
    (root / "ferry.yaml").write_text((root / "ferry.yaml").read_text() + ALERTS + rules)
    Vault.open(root).set("ops-webhook", hook.url)


def texts(hook: Webhook) -> list[str]:
    return [str(body["text"]) for body in hook.received]


async def test_a_dead_letter_alert_arrives_with_a_link_and_resolves(tmp_path: Path, systems: Systems) -> None:
    root = tmp_path / "p"
    async with webhook("slack") as hook:
        project_with_alerts(root, systems, hook)
        async with live(root, systems) as h:
            assert h.runner is not None
            base = h.runner.listen.url
            await h.sync()
            await h.d365.post(
                "accounts",
                json=UNMAPPABLE_ACCOUNT,
            )
            assert (await h.sync()).get("dead") == 1

            async def fired() -> list[str]:
                return texts(hook)

            [text] = await eventually(fired, within=20)
            assert text.startswith(":large_orange_circle: [FIRING] warning: dead-letters on customers")
            assert "customers: 1 record in the dead-letter queue" in text
            assert f"<{base}/dead-letters?sync=customers|Open in ferry>" in text
            assert hook.received[0]["blocks"][-1]["elements"][0]["url"] == f"{base}/dead-letters?sync=customers"

            async def recorded() -> bool:  # the receiver has answered; its answer is noted just after
                return all(d.outcome == "delivered" for a in await h.assembly.store.alerts.list() for d in a.deliveries)

            await eventually(recorded, within=10)
            listed = await ferry_beside("alerts", str(root), "--json")
            assert listed.returncode == 0, listed.stderr
            [alert] = json.loads(listed.stdout)
            assert (alert["rule"], alert["state"], alert["link"]) == (
                "dead-letters",
                "firing",
                "/dead-letters?sync=customers",
            )
            assert [(d["channel"], d["outcome"]) for d in alert["deliveries"]] == [("ops", "delivered")]

            people = AccessStore(h.assembly.store)
            await people.add_user("rosa", "operator", "a-long-password")
            token = {"Authorization": f"Bearer {await people.issue_token('rosa', 'e2e')}"}
            async with httpx.AsyncClient(base_url=base, headers=token, timeout=30) as control:
                acked = (await control.post(f"/api/alerts/{alert['id']}/acknowledge")).json()
                assert (acked["acknowledged_by"], acked["state"]) == ("rosa", "firing")
                [letter] = (await control.get("/api/dead-letters")).json()
                reason = {"reason": "not a customer"}
                assert (await control.post(f"/api/dead-letters/{letter['id']}/drop", json=reason)).status_code == 200

                async def resolved() -> list[str] | None:
                    return texts(hook) if len(hook.received) == 2 else None

                later = (await eventually(resolved, within=20))[1]
                shown: dict[str, Any] = (await control.get(f"/api/alerts/{alert['id']}")).json()
            assert later.startswith(":white_check_mark: [RESOLVED] warning: dead-letters on customers")
            assert shown["state"] == "resolved" and shown["resolved_at"] is not None
            assert [d["event"] for d in shown["deliveries"]] == ["firing", "resolved"]
            await asyncio.sleep(2.5)  # two more evaluations: nothing more is sent
            assert len(hook.received) == 2


async def test_a_system_refusing_credentials_raises_an_alert_until_an_admin_resumes_it(
    tmp_path: Path, systems: Systems
) -> None:
    root = tmp_path / "p"
    async with webhook("slack") as hook:
        project_with_alerts(root, systems, hook, AUTH)
        async with live(root, systems) as h:
            assert h.runner is not None
            await h.sync()
            refuse = {"error_rate": 1.0, "error_status": 401, "path_prefix": "/api/v1/customers"}
            assert (await h.control["tims"].post("/_sandbox/faults", json=refuse)).status_code == 200
            made = await h.d365.post(
                "accounts",
                json={
                    "name": "Refused Key Supply",
                    "customertypecode": 3,
                    "address1_line1": "12 Foundry Road",
                    "address1_city": "Austin",
                    "address1_stateorprovince": "TX",
                    "address1_postalcode": "78701",
                    "address1_country": "United States",
                },
                headers={"Prefer": "return=representation"},
            )
            account_id = made.json()["accountid"]
            for poller in h.engine.pollers:
                if poller.side == "left":
                    await poller.poll_once()

            async def fired() -> list[str]:
                return [t for t in texts(hook) if "credentials on tims" in t]

            [text] = await eventually(fired, within=30)
            assert text.startswith(":red_circle: [FIRING] critical: credentials on tims")
            assert "connection tims cannot authenticate" in text and f"<{h.runner.listen.url}/admin|" in text

            await h.control["tims"].delete("/_sandbox/faults")  # the key is fixed
            people = AccessStore(h.assembly.store)
            await people.add_user("ada", "admin", "a-long-password")
            token = {"Authorization": f"Bearer {await people.issue_token('ada', 'e2e')}"}
            async with httpx.AsyncClient(base_url=h.runner.listen.url, headers=token, timeout=30) as control:
                assert (await control.post("/api/connections/tims/resume")).status_code == 200

            async def resolved() -> list[str]:
                return [t for t in texts(hook) if t.startswith(":white_check_mark: [RESOLVED] critical: credentials")]

            await eventually(resolved, within=30)

            async def arrived() -> list[Any]:
                found: list[Any] = (await h.tims.get("customers", params={"ExternalID": account_id})).json()["data"]
                return found

            # The record that waited goes through at once, not after the breaker's 30 s backoff.
            await eventually(arrived, within=10)


async def test_ferry_alerts_test_sends_through_a_channel(tmp_path: Path, systems: Systems) -> None:
    root = tmp_path / "p"
    async with webhook("slack") as hook:
        project_with_alerts(root, systems, hook)
        sent = await ferry_beside("alerts", "test", str(root), "ops")
        unknown = await ferry_beside("alerts", "test", str(root), "pager")
        hook.failures = [500]
        failed = await ferry_beside("alerts", "test", str(root), "ops")
    assert sent.returncode == 0 and "Test message delivered to 'ops'" in sent.stdout, sent.stderr
    assert "A test message from ferry to the channel 'ops'" in hook.received[0]["text"]
    assert unknown.returncode == 2 and "no alert channel 'pager'" in unknown.stderr
    assert failed.returncode == 1 and "HTTP 500" in failed.stderr
    assert "T0SECRET-TOKEN" not in failed.stderr + failed.stdout
