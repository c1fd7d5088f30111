"""A person at the console: logs in, sees the overview, finds the record that failed, fixes it in the
console, replays it, and sees it arrive in the other system. Screenshots of the main pages are left in
build/screenshots."""

from __future__ import annotations

import re
import socket
from pathlib import Path

from playwright.async_api import Page, expect

from ferry.access import AccessStore
from tests.browser.conftest import shot
from tests.e2e.conftest import UNMAPPABLE_ACCOUNT, Harness, Systems, eventually, live

PASSWORD = "ops-password-123"


async def make_failure(h: Harness) -> str:
    made = await h.d365.post(
        "accounts",
        json=UNMAPPABLE_ACCOUNT,
        headers={"Prefer": "return=representation"},
    )
    account_id: str = made.json()["accountid"]

    async def dead() -> bool:
        return bool(await h.assembly.store.dead_letters())

    await eventually(dead, within=60)
    return account_id


async def log_in(page: Page, base: str, name: str) -> None:
    await page.goto(f"{base}/dead-letters")
    await expect(page).to_have_url(f"{base}/login?next=/dead-letters")
    await page.fill("input[name=name]", name)
    await page.fill("input[name=password]", "wrong password")
    await page.click("button[type=submit]")
    await expect(page.locator(".notice.bad")).to_have_text("Wrong user name or password.")
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await expect(page).to_have_url(f"{base}/dead-letters")


async def test_an_operator_finds_a_failed_record_fixes_it_and_sees_it_arrive(
    tmp_path: Path, systems: Systems, page: Page
) -> None:
    async with live(tmp_path / "p", systems, poll_seconds=None) as h:
        assert h.runner is not None
        base = h.runner.listen.url
        await AccessStore(h.assembly.store).add_user("olive", "operator", PASSWORD)
        account_id = await make_failure(h)

        await log_in(page, base, "olive")
        row = page.locator(f"tr:has-text('{account_id}')")
        await expect(row).to_contain_text("Country")
        await shot(page, "dead-letters")
        await row.locator("a").first.click()
        await expect(page.locator("#error")).to_contain_text("Country")
        await expect(page.locator("#payload")).to_have_value(re.compile('"address1_country": "Atlantis"'))
        await shot(page, "dead-letter")

        # The operator fixes the record in the console, as ferry will read it, and replays that.
        edited = (await page.locator("#payload").input_value()).replace('"Atlantis"', '"Australia"')
        await page.fill("#payload", edited)
        await page.click("text=Replay with this edited record")
        await expect(page.locator(".notice.ok")).to_contain_text("Replayed")

        async def arrived() -> list[dict[str, object]]:
            found: list[dict[str, object]] = (await h.tims.get("customers", params={"ExternalID": account_id})).json()[
                "data"
            ]
            return found

        [customer] = await eventually(arrived, within=60)
        assert customer["BillingAddress"]["Country"] == "AU"  # type: ignore[index]

        # Found by its name in the console's search, with its lineage and its twin in TIMS.
        await page.goto(f"{base}/records")
        await page.fill("#q", "nowhere gas")
        await page.click("text=Search")
        await expect(page.locator("tr:has-text('Nowhere Gas Supply')")).to_have_count(2)  # both systems
        await page.locator("tr", has=page.locator("td.record-id", has_text=re.compile(f"^{account_id}$"))).click()
        await expect(page).to_have_url(re.compile(f"/records/customers/left/{account_id}$"))
        await expect(page.locator("[data-twin]")).to_contain_text(str(customer["CustomerID"]))
        await expect(page.locator(".timeline [data-kind=dead-letter]").first).to_be_visible()
        await expect(page.locator(".timeline [data-kind=write]").first).to_contain_text('"Country":"AU"')
        await shot(page, "record")

        await page.goto(f"{base}/")
        await expect(page.locator("tr[data-sync=customers]")).to_be_visible()
        await expect(page.locator("[data-connection=tims] [data-circuit]")).to_have_text("closed")
        await expect(page.locator("[data-connection=tims]")).to_contain_text("requests")
        await expect(page.locator("[data-chart=customers] svg rect").first).to_be_attached()
        await expect(page.locator("[data-error-rate=customers]")).to_contain_text("%")  # one failure in the hour
        await shot(page, "overview")
        await page.goto(f"{base}/flows/customers")
        await expect(page.locator("#diagram svg")).to_contain_text("tims")
        await expect(page.locator("table").first).to_contain_text("CompanyName")
        await shot(page, "flow")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_the_console_shows_when_ferry_stops_answering_and_recovers_when_it_is_back(
    tmp_path: Path, systems: Systems, page: Page
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    async with live(tmp_path / "p", systems, port=port) as h:
        await AccessStore(h.assembly.store).add_user("olive", "operator", PASSWORD)
        await log_in(page, base, "olive")
        await page.goto(f"{base}/")
        await expect(page.locator("tr[data-sync=customers]")).to_be_visible()
        await expect(page.locator(".banner").first).to_be_hidden()
    # ferry stopped: the page's next refresh finds no one answering, and says so.
    await expect(page.locator(".banner").first).to_contain_text("not answering", timeout=15_000)
    await shot(page, "not-answering")
    async with live(tmp_path / "p", systems, port=port):
        # Back (the same store, so the same login session): the banner goes without a reload.
        await expect(page.locator(".banner").first).to_be_hidden(timeout=15_000)
        await expect(page.locator("tr[data-sync=customers]")).to_be_visible()
