"""An operator decides a conflict held for review, field by field, in the console; both systems end
up holding what was chosen."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Page, expect

from ferry.access import AccessStore
from tests.browser.conftest import shot
from tests.browser.test_console import PASSWORD, log_in
from tests.e2e.conftest import Systems, live
from tests.e2e.test_reviews import both, conflicting_pair, settled


async def test_a_conflict_is_decided_per_field_in_the_console(tmp_path: Path, systems: Systems, page: Page) -> None:
    async with live(tmp_path / "p", systems, webhooks=False, conflicts="{policy: review}") as h:
        assert h.runner is not None
        base = h.runner.listen.url
        account_id, customer_id = await conflicting_pair(h)
        await AccessStore(h.assembly.store).add_user("olive", "operator", PASSWORD)
        await log_in(page, base, "olive")

        await page.goto(f"{base}/reviews")
        await page.locator("tr[data-review]").first.click()
        name = page.locator("[data-row=CompanyName]")
        await expect(name).to_contain_text("Name From Dynamics")
        await expect(name).to_contain_text("Name From TIMS")
        await shot(page, "review")

        await page.click("text=Resolve with these choices")  # nothing chosen yet: told what is missing
        await expect(page.locator(".notice.bad")).to_contain_text("Choose what to keep for")
        await page.fill("[data-custom=CompanyName]", "Agreed Name Ltd")
        await page.locator("[data-row=CreditLimit] input[value=left]").check()
        await page.click("text=Resolve with these choices")
        await expect(page.locator(".notice.ok")).to_contain_text("Resolved: 2 write(s) queued")
        await expect(page.locator("h1 .badge")).to_have_text("resolved")

        await settled(h)
        account, customer = await both(h, account_id, customer_id)
        assert (account["name"], float(account["creditlimit"])) == ("Agreed Name Ltd", 5000.0)
        assert (customer["CompanyName"], float(customer["CreditLimit"])) == ("Agreed Name Ltd", 5000.0)
