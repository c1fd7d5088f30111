"""A workflow run held for a person, approved from the console: its steps with their timings, inputs and
outputs, and a retry that lets it finish."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Page, expect

from ferry.access import AccessStore
from tests.browser.conftest import shot
from tests.browser.test_console import PASSWORD, log_in
from tests.e2e.conftest import Systems, live
from tests.e2e.test_procure_to_pay import OPTIONS, new_purchase_order, receive_in_tims, run_of


async def test_a_held_run_is_seen_step_by_step_and_approved_from_the_console(
    tmp_path: Path, systems: Systems, page: Page
) -> None:
    async with live(tmp_path / "p", systems, **OPTIONS) as h:
        assert h.runner is not None
        base = h.runner.listen.url
        po_id = await new_purchase_order(h, "PO-CONSOLE-1", 1000, "12.50")
        waiting = await run_of(h, po_id, state="waiting", step="received")
        await receive_in_tims(h, waiting.steps["tims_po"].output["id"])
        held = await run_of(h, po_id, state="held")

        await AccessStore(h.assembly.store).add_user("olive", "operator", PASSWORD)
        await log_in(page, base, "olive")
        await page.goto(f"{base}/runs?state=held")
        await page.locator("tr", has_text=po_id).click()
        await expect(page).to_have_url(f"{base}/runs/{held.id}")
        await expect(page.locator("h1 .badge")).to_have_text("held")
        bill = page.locator("[data-step=bill]")
        await expect(bill).to_contain_text("done")
        await bill.locator("summary").click()
        await expect(bill.locator("pre").nth(1)).to_contain_text(str(held.steps["bill"].output["id"]))
        await expect(page.locator("[data-step=approval]")).to_contain_text("needs approval")
        await shot(page, "run")

        await page.click("text=Retry from the step that stopped")
        await expect(page.locator(".notice.ok")).to_contain_text("Retried")
        done = await run_of(h, po_id, state="completed")
        assert done.steps["approval"].output["approved"] is True
        await page.reload()
        await expect(page.locator("h1 .badge")).to_have_text("completed")

        # The workflow itself, drawn: its trigger, then its steps, the conditional one dashed.
        await page.goto(f"{base}/flows/procure-to-pay")
        diagram = page.locator("#diagram svg")
        await expect(diagram).to_contain_text("trigger")
        await expect(diagram).to_contain_text("approval")
        assert await diagram.locator("rect[stroke-dasharray]").count() >= 1
