"""The pages in a real headless Chromium (Debian's, driven by Playwright)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from live_hub import live_hub
from playwright.sync_api import Browser
from queue_helpers import START, Clock, password_hash

from hub.config import HubSettings
from hub.queue.policy import Category
from hub.queue.service import QueueService

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium (make test installs it)")
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2, "locale": "ru-RU"}  # fmt: skip


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[tuple[str, QueueService]]:
    settings = HubSettings(db_path=tmp_path / "hub.db")
    with live_hub(settings, Clock(START)) as (url, app):
        queue: QueueService = app.state.hub.queue
        queue.store.add_user("officer1", password_hash(), "officer", "-")
        yield url, queue


def test_a_driver_books_on_a_phone_in_russian(
    hub: tuple[str, QueueService], browser: Browser
) -> None:
    url, queue = hub
    page = browser.new_context(**PHONE).new_page()
    page.goto(f"{url}/book")  # no ?lang: the phone's Accept-Language (ru-RU) decides
    assert page.inner_text("h1") == "Бронирование времени пересечения"
    page.select_option("select[name=category]", "perishable")
    page.fill("input[name=day]", "2026-11-21")
    page.select_option("select[name=hour]", "15")
    page.fill("input[name=tractor]", "123 авс 02")  # lower-case Cyrillic, with spaces
    page.tap("button[type=submit]")
    page.wait_for_url("**/book/*")
    assert "Место удерживается до" in page.inner_text("main")
    page.fill("input[name=driver_name]", "Айдос Серикбаев")
    page.fill("input[name=phone]", "+7 701 555 0101")
    page.tap("button[type=submit]")
    page.wait_for_url("**/b/*")
    reference = page.inner_text("#reference")
    assert page.inner_text("#state") == "Забронировано"
    assert "123ABC02 KZ" in page.inner_text("main")
    # It fits the phone: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    booked = queue.status(reference).booking
    assert (booked.tractor.text, booked.category.value) == ("123ABC02", "perishable")


def test_the_board_shows_the_call_after_an_officer_calls(
    hub: tuple[str, QueueService],
    browser,  # type: ignore[no-untyped-def]
) -> None:
    url, queue = hub
    reference, _ = queue.book("kz-tm", Category.GENERAL, START.replace(hour=8),
                              ("777KZA02", "KZ"), [], "Aidos", "+77015550101", "")  # fmt: skip
    queue.on_passage("e1", "wait-out", ["777KZA02"], "KZ", START)
    board = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()
    board.goto(f"{url}/board?lang=ru")
    assert "Пока никого не вызвали" in board.inner_text("main")
    assert board.locator('meta[http-equiv="refresh"]').get_attribute("content") == "10"

    officer = browser.new_context().new_page()
    officer.goto(f"{url}/login?lang=ru")
    officer.fill("input[name=username]", "officer1")
    officer.fill("input[name=password]", "long enough pw")
    officer.click("button[type=submit]")
    officer.wait_for_url("**/officer*")
    assert "777KZA02" in officer.inner_text("main")
    officer.click("text=Вызвать следующего на entry-1")
    assert "777KZA02 вызван на entry-1" in officer.inner_text("main")

    board.reload()
    row = board.locator("tr.called").first
    assert "777KZA02" in row.inner_text() and "entry-1" in row.inner_text()
    assert queue.status(reference).booking.state.value == "called"


# Registered before any page script: what the browser reports of the policy it enforces.
WATCH_CSP = """window.__csp = [];
document.addEventListener("securitypolicyviolation",
  e => window.__csp.push(e.violatedDirective + " " + e.blockedURI));"""


def test_no_page_breaks_its_content_security_policy(
    hub: tuple[str, QueueService], browser: Browser
) -> None:
    url, queue = hub
    reference, _ = queue.book("kz-tm", Category.GENERAL, START.replace(hour=8),
                              ("777KZA02", "KZ"), [], "Aidos", "+77015550101", "")  # fmt: skip
    context = browser.new_context()
    context.add_init_script(WATCH_CSP)
    page = context.new_page()
    errors: list[str] = []  # the console's, and scripts' uncaught exceptions
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    def visit(path: str) -> None:
        page.goto(f"{url}{path}")
        page.wait_for_timeout(200)  # a violation report is an event after the load
        assert page.evaluate("window.__csp") == [], path

    for path in ("/", "/board", "/book", f"/b/{reference}", "/verify", "/carrier", "/login"):
        visit(f"{path}?lang=en")
    page.fill("input[name=username]", "officer1")
    page.fill("input[name=password]", "long enough pw")
    page.click("button[type=submit]")
    page.wait_for_url("**/officer*")
    # The console, whose log-out button used to be styled inline; the live lane (its
    # script, its JSON labels, the event stream); search.
    for path in ("/officer", "/officer/lanes/entry-1", "/officer/search?q=777KZA"):
        visit(path)
    assert [e for e in errors if "favicon" not in e and "404" not in e] == []  # none has one
    # And the policy bites: a script slipped into the page does not run, and is reported.
    page.evaluate("""() => { const s = document.createElement("script");
        s.textContent = "window.__ran = true"; document.body.append(s); }""")
    page.wait_for_function("window.__csp.length > 0")
    assert page.evaluate("window.__ran === undefined")
    assert page.evaluate("window.__csp")[0].startswith("script-src")
    assert any("Content Security Policy" in e for e in errors)
