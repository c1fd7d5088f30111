"""The console's overview charts, drawn from /api/overview: a viewer sees each flow's settled records."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Page, expect

from ferry.access import AccessStore
from tests.browser.conftest import shot
from tests.e2e.conftest import Systems, live, quiet

PASSWORD = "viewer-password-123"


async def test_a_viewer_sees_the_charts_of_what_each_flow_settled(tmp_path: Path, systems: Systems, page: Page) -> None:
    async with live(tmp_path / "p", systems) as h:
        assert h.runner is not None
        base = h.runner.listen.url
        await quiet(h)  # the first run settled every record of both sides
        await AccessStore(h.assembly.store).add_user("vera", "viewer", PASSWORD)
        await page.goto(f"{base}/")
        await expect(page).to_have_url(f"{base}/login?next=/")
        await page.fill("input[name=name]", "vera")
        await page.fill("input[name=password]", PASSWORD)
        await page.click("button[type=submit]")
        await expect(page).to_have_url(f"{base}/")
        bars = page.locator("[data-chart=customers] svg.chart rect")
        await expect(bars).to_have_count(60)  # an hour in minutes; the last minute's bar holds the load
        heights = [float(await bars.nth(i).get_attribute("height") or 0) for i in (58, 59)]
        assert max(heights) > 0
        await expect(page.locator("[data-chart=customers] svg.chart text")).to_contain_text("max")
        await shot(page, "overview-charts")
