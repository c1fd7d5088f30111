"""Whatever a record holds is shown as text: markup in a name neither runs nor changes the page."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.async_api import Page, expect

from ferry.access import AccessStore
from tests.browser.test_console import PASSWORD, log_in
from tests.e2e.conftest import Systems, eventually, live

HOSTILE = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>{{7*7}}'


async def test_markup_in_a_record_is_shown_as_text_and_never_runs(tmp_path: Path, systems: Systems, page: Page) -> None:
    async with live(tmp_path / "p", systems, poll_seconds=None) as h:
        assert h.runner is not None
        base = h.runner.listen.url
        made = await h.d365.post(
            "accounts",
            json={"name": HOSTILE, "customertypecode": 3, "address1_country": "United States"},
            headers={"Prefer": "return=representation"},
        )
        account_id = made.json()["accountid"]

        async def indexed() -> bool:
            return bool(await h.assembly.store.records.search("onerror"))

        await eventually(indexed, within=60)
        await AccessStore(h.assembly.store).add_user("olive", "viewer", PASSWORD)
        await log_in(page, base, "olive")
        await page.goto(f"{base}/records")
        await page.fill("#q", "onerror")
        await page.click("text=Search")
        await expect(page.locator("table")).to_contain_text('<img src=x onerror="window.pwned=1">')
        await page.goto(f"{base}/records/customers/left/{account_id}")
        await expect(page.locator("h1")).to_have_text(HOSTILE)
        assert await page.evaluate("window.pwned") is None
        assert await page.locator("main img").count() == 0


@pytest.mark.parametrize("target", ["//evil.example/", "/\\evil.example/", "https://evil.example/"])
async def test_logging_in_never_sends_the_browser_to_another_site(
    tmp_path: Path, systems: Systems, page: Page, target: str
) -> None:
    async with live(tmp_path / "p", systems, poll_seconds=None) as h:
        assert h.runner is not None
        base = h.runner.listen.url
        await AccessStore(h.assembly.store).add_user("olive", "viewer", PASSWORD)
        await page.goto(f"{base}/login?next={quote(target)}")
        await page.fill("input[name=name]", "olive")
        await page.fill("input[name=password]", PASSWORD)
        await page.click("button[type=submit]")
        await expect(page).to_have_url(f"{base}/")
