"""Browser tests of the console: Debian's chromium, headless, driven by Playwright; started by the tests."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright

from tests.e2e.conftest import Systems, systems  # noqa: F401  (the sandboxes fixture)

CHROMIUM = os.environ.get("FERRY_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
#: Where the run leaves its screenshots of the console's pages.
SHOTS = Path(os.environ.get("FERRY_SCREENSHOTS", Path(__file__).parents[2] / "build" / "screenshots"))
HAVE_CHROMIUM = Path(CHROMIUM).exists()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not HAVE_CHROMIUM:
        pytest.skip(f"no chromium at {CHROMIUM}: `make test` installs Debian's chromium package")
    async with async_playwright() as p:
        launched = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport={"width": 1400, "height": 900})
    opened = await context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda e: errors.append(str(e)))
    opened.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        yield opened
    finally:
        await context.close()
    # A script error in a page is a bug even when the test's checks passed (refused requests the test
    # asked for show as console errors too, so those are left to the test).
    assert not [e for e in errors if "Failed to load resource" not in e], errors


async def shot(page: Page, name: str) -> Path:
    await asyncio.to_thread(SHOTS.mkdir, parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


async def sign_in(page: Page, base: str, name: str, password: str, *, then: str = "/") -> None:
    """Log in at the console's login page as `name`, which sends the browser on to `then`."""
    await page.goto(f"{base}/login?next={then}")
    await page.fill("input[name=name]", name)
    await page.fill("input[name=password]", password)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{base}{then}")
