"""An admin maps a field in the designer: drags a source field onto an expression, sees the preview
change on live records, sees a failure highlighted, takes a suggestion for an unmapped field, saves,
and finds the change in the mapping file."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import Page, expect

from ferry.access import AccessStore
from tests.browser.conftest import shot, sign_in
from tests.browser.test_console import PASSWORD
from tests.e2e.conftest import Systems, live

MAPPING = "mappings/account-to-customer.yaml"


async def test_a_field_is_mapped_previewed_and_saved(tmp_path: Path, systems: Systems, page: Page) -> None:
    root = tmp_path / "p"
    async with live(root, systems, poll_seconds=None) as h:
        assert h.runner is not None
        base = h.runner.listen.url
        await AccessStore(h.assembly.store).add_user("ada", "admin", PASSWORD)
        await sign_in(page, base, "ada", PASSWORD, then="/flows/customers/designer")
        expression = page.locator("[data-expression=CompanyName]")
        await expect(expression).to_have_value("trim(name)")
        first = page.locator("[data-preview]").first
        await expect(first).to_contain_text('"CompanyName"')

        await expression.fill("")
        await page.drag_and_drop("[data-source=accountnumber]", "[data-expression=CompanyName]")
        await expect(expression).to_have_value("accountnumber")
        await expect(first).to_contain_text('"CompanyName": "A-')  # the preview now shows account numbers

        await expression.fill("no_such_function(name)")
        await expect(page.locator(".notice.bad").last).to_contain_text("no_such_function")
        # A target field left unmapped gets suggestions; taking one fills its expression.
        await page.locator("[data-target=Email] button[title=remove]").click()
        await page.locator("select").select_option("Email")
        await page.click("button:has-text('Add')")
        await page.locator("[data-target=Email] button:has-text('Suggest')").click()
        suggestion = page.locator("[data-target=Email] .suggestion", has_text="emailaddress1").first
        await expect(suggestion).to_contain_text("%")
        await suggestion.click()
        await expect(page.locator("[data-expression=Email]")).to_have_value(re.compile("emailaddress1"))

        await expression.fill("upper(accountnumber)")
        await expect(page.locator("pre").last).to_contain_text("+  CompanyName: upper(accountnumber)")
        await shot(page, "designer")
        await page.click("button:has-text('Save to the mapping file')")
        await expect(page.locator(".notice.ok")).to_contain_text(f"Saved {MAPPING}")
        assert "  CompanyName: upper(accountnumber)\n" in (root / MAPPING).read_text()
