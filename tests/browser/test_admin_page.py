"""An admin at the console: adds a person and changes their role, pauses and resumes a connection,
changes its settings in ferry.yaml (a breaking change is refused), and finds all of it in the actions log."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Page, expect

from ferry.access import AccessStore
from tests.browser.conftest import shot, sign_in
from tests.browser.test_console import PASSWORD
from tests.e2e.conftest import Systems, live


async def test_an_admin_manages_people_and_connections(tmp_path: Path, systems: Systems, page: Page) -> None:
    root = tmp_path / "p"
    async with live(root, systems, poll_seconds=None) as h:
        assert h.runner is not None
        base = h.runner.listen.url
        await AccessStore(h.assembly.store).add_user("ada", "admin", PASSWORD)
        await sign_in(page, base, "ada", PASSWORD)
        await page.click("[data-nav=admin]")

        await page.fill("input[placeholder=name]", "vic")
        await page.fill("input[type=password]", "vics-password-1")
        await page.click("text=Add person")
        await expect(page.locator("[data-user=vic]")).to_contain_text("vic")
        await page.locator("[data-user=vic] select").select_option("operator")
        await expect(page.locator(".notice.ok")).to_contain_text("vic is now operator")
        assert (await AccessStore(h.assembly.store).user("vic")).role == "operator"  # type: ignore[union-attr]

        await page.fill("input[placeholder='reason to pause']", "TIMS maintenance tonight")
        await page.locator("[data-admin-connection=tims] >> text=Pause").click()
        await expect(page.locator("[data-admin-connection=tims]")).to_contain_text("paused by ada: TIMS maintenance")
        assert h.engine.breakers["tims"].allow() is False
        await page.locator("[data-admin-connection=tims] >> text=Resume").click()
        await expect(page.locator("[data-admin-connection=tims]")).to_contain_text("closed")

        await page.locator("[data-admin-connection=tims] >> text=Settings").click()
        await page.fill("[data-setting=url]", "")  # TIMS needs its URL: refused, file unchanged
        await page.click("text=Save to ferry.yaml")
        await expect(page.locator(".notice.bad")).to_contain_text("ferry.yaml is unchanged")
        await page.fill("[data-setting=url]", "https://tims.example.com")
        await page.click("text=Save to ferry.yaml")
        await expect(page.locator("[data-settings] pre")).to_contain_text("+    url: https://tims.example.com")
        assert "url: https://tims.example.com" in (root / "ferry.yaml").read_text()
        await shot(page, "admin")

        await page.reload()
        actions = page.locator("table").last
        for done in ("POST /api/users", "PUT /api/users/vic", "POST /api/connections/tims/pause"):
            await expect(actions).to_contain_text(done)
        await expect(actions).to_contain_text("PUT /api/connections/tims/settings")
