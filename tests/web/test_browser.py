"""The lab page in a real browser: Debian's headless Chromium, driven by playwright (pointed at the
system browser; `playwright install` is never needed). Signs in through a real link, checks the
rendered DOM, clicks "Another batch" and sees 06–10, and takes a screenshot.

Set LAB_SCREENSHOT=docs/lab-page.png to refresh the screenshot in the docs."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from adapters.web.app import create_lab_app
from bot.engine import Engine
from bot.signin import SignIn
from tests.web.conftest import BOB, NOW

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="the browser test needs Chromium: apt-get update && apt-get install -y chromium "
    "(.ci/run installs it; the playwright package comes with `make install`)",
)


async def test_sign_in_read_and_another_batch_in_chromium(engine: Engine, tmp_path: Path) -> None:
    from playwright.async_api import async_playwright, expect

    signin = SignIn(engine.settings.secret_key.get_secret_value() if engine.settings.secret_key else "")
    server = TestServer(create_lab_app(engine, signin, clock=lambda: NOW), host="127.0.0.1")
    await server.start_server()
    try:
        link = str(server.make_url(f"/login?token={signin.link_token(BOB)}"))
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = await browser.new_page(viewport={"width": 1280, "height": 1400})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("dialog", lambda dialog: errors.append(f"a dialog opened: {dialog.message}"))
            await page.goto(link)
            assert page.url.rstrip("/") == str(server.make_url("/")).rstrip("/")
            numbers = await page.locator("li.paper .num").all_inner_texts()
            assert numbers == ["01.", "02.", "03.", "04.", "05."]
            assert await page.locator("li.chip").count() == 2
            assert await page.locator("#another-batch").inner_text() == "Another batch →"
            assert "Academic Intelligence" in await page.locator("h1").inner_text()
            await page.locator("li.paper").nth(1).locator("form.save button").click()  # Save, no JS
            await expect(page.locator("li.paper").nth(1).locator("form.save button")).to_have_text("Saved")
            assert await page.locator("section.reading li a").count() == 1
            shot = Path(os.environ.get("LAB_SCREENSHOT") or tmp_path / "lab-page.png")
            await page.screenshot(path=str(shot), full_page=False)
            assert shot.stat().st_size > 10_000
            await page.click("#another-batch")
            await expect(page.locator("li.paper .num").first).to_have_text("06.")
            numbers = await page.locator("li.paper .num").all_inner_texts()
            assert numbers == ["06.", "07.", "08.", "09.", "10."]
            assert "offset=5" in page.url  # replaced in place, and the address says where we are
            await page.goto(str(server.make_url("/?q=author+Adversary")))
            title = await page.locator("li.paper .title").first.inner_text()
            assert title.startswith("<script>alert('title')</script> Attention & $\\alpha$-nets")
            await page.goto(str(server.make_url("/?q=%3Cscript%3Ealert(1)%3C/script%3E")))
            assert errors == []  # no hostile title or query ran as script
            await browser.close()
    finally:
        await server.close()
