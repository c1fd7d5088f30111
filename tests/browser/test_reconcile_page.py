"""An operator compares the two systems from the console, sees the drift made behind ferry's back,
heals it with one click, and compares again to find none."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import Page, expect

from ferry.access import AccessStore
from tests.browser.conftest import shot
from tests.browser.test_console import PASSWORD, log_in
from tests.e2e.conftest import clients, live, polled, quiet, without_history


async def test_drift_is_found_healed_and_gone_from_the_console(tmp_path: Path, page: Page) -> None:
    root = tmp_path / "p"
    with without_history() as systems:
        async with polled(root, systems, poll_seconds=None) as h:
            await h.sync()
        _, tims, control = await clients(systems)
        try:  # while ferry is not running, so no webhook tells it
            customer = next(c for c in (await tims.get("customers")).json()["data"] if c["ExternalID"])
            edited = await tims.patch(f"customers/{customer['CustomerID']}", json={"CompanyName": "Renamed Behind"})
            assert edited.status_code == 200, edited.text
        finally:
            for client in (tims, *control.values()):
                await client.aclose()

        async with live(root, systems, poll_seconds=None) as h:
            assert h.runner is not None
            base = h.runner.listen.url
            await AccessStore(h.assembly.store).add_user("olive", "operator", PASSWORD)
            await log_in(page, base, "olive")
            await page.goto(f"{base}/reconciliation")
            await page.click("tr[data-reconcile=customers] >> text=Compare now")
            await expect(page).to_have_url(re.compile(r"/reconciliation/\d+$"))
            await expect(page.locator("[data-count=different] .stat")).to_have_text("1", timeout=30_000)
            item = page.locator("tr[data-item=different]")
            await expect(item).to_contain_text("Renamed Behind")
            await shot(page, "reconciliation")

            await page.click("text=Heal the drift")
            await expect(page.locator(".notice.ok").first).to_contain_text("1 fix(es) queued")
            await quiet(h)

            await page.goto(f"{base}/reconciliation")
            await page.click("tr[data-reconcile=customers] >> text=Compare now")
            await expect(page.locator(".empty")).to_contain_text("No drift", timeout=30_000)
