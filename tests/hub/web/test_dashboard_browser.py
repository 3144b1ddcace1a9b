"""The dashboard in a real headless Chromium: an operator logs in, sees the figures, the
devices and an alert, and acknowledges it; on a phone nothing scrolls sideways, and the
page keeps to its Content-Security-Policy."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from dashboard_helpers import presence, report
from hub_support import register
from live_hub import live_hub
from playwright.sync_api import Browser, Page
from queue_helpers import Clock, book, password_hash

from hub.config import HubSettings
from hub.runtime import HubRuntime
from shekara import wire

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium (make test installs it)")
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}  # fmt: skip
# Registered before any page script: what the browser reports of the policy it enforces.
WATCH_CSP = """window.__csp = [];
document.addEventListener("securitypolicyviolation",
  e => window.__csp.push(e.violatedDirective + " " + e.blockedURI));"""


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[tuple[str, HubRuntime]]:
    now = datetime.now(UTC).replace(microsecond=0)
    clock = Clock(now)
    settings = HubSettings(db_path=tmp_path / "hub.db", alert_outbox_reports=3)
    with live_hub(settings, clock) as (url, app):
        runtime: HubRuntime = app.state.hub
        runtime.queue.store.add_user("ops", password_hash(), "operator", "-")
        book(runtime.queue, "100ABC02", now + timedelta(hours=1))
        runtime.queue.on_passage("r1", "wait-out", ["100ABC02"], "KZ", now)
        cam = register(runtime.store, Ed25519PrivateKey.generate(),
                       wire.Address("temirbaba", "entry-1", "cam1"))  # fmt: skip
        presence(runtime.ingestor, cam, "online", now)
        for minutes, depth in ((3, 20), (2, 90), (1, 400)):
            report(runtime.ingestor, cam, now - timedelta(minutes=minutes), depth,
                   cpu_temp_c=63.0, disk_free_mb=1200)  # fmt: skip
        clock.advance(minutes=5)
        runtime.alerts.evaluator.evaluate()
        yield url, runtime


def log_in(page: Page, url: str, lang: str) -> None:
    page.goto(f"{url}/login?lang={lang}")
    page.fill("input[name=username]", "ops")
    page.fill("input[name=password]", "long enough pw")
    page.click("button[type=submit]")
    page.wait_for_url("**/officer*")


def test_an_operator_sees_the_checkpoint_and_acknowledges_an_alert(
    hub: tuple[str, HubRuntime], browser: Browser
) -> None:
    url, runtime = hub
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(WATCH_CSP)
    page = context.new_page()
    log_in(page, url, "en")
    page.click("header nav >> text=Dashboard")
    page.wait_for_url("**/dashboard*")
    assert page.evaluate("window.__csp") == []
    assert page.inner_text("#direction-kz-tm [data-figure=waiting]") == "1"
    assert page.inner_text("#direction-kz-tm [data-figure=longest]") == "5"
    chart = page.locator("#direction-kz-tm svg.chart").last
    assert chart.get_attribute("role") == "img"
    assert chart.get_attribute("aria-label").startswith("Trucks called per hour today")
    assert chart.bounding_box()["width"] > 300  # type: ignore[index]  # drawn, and wide
    row = page.locator("tr[data-device=cam1]")
    for text in ("online", "400", "rising", "63 °C", "1200 MB"):
        assert text in row.inner_text(), text
    alert = page.locator("tr.alert-row[data-rule=outbox_growing]")
    assert "The outbox of cam1 is growing: 20 to 400 events" in alert.inner_text()

    alert.locator("button").click()
    page.wait_for_url("**/dashboard?done=acked*")
    assert "Alert acknowledged." in page.inner_text("main")
    assert "by ops" in page.locator("tr.alert-row[data-rule=outbox_growing]").inner_text()
    (acked,) = runtime.alerts.tables.open_alerts()
    assert acked.acked_by == "ops"
    assert page.evaluate("window.__csp") == []


@pytest.mark.parametrize("lang", ["ru", "kk", "tk", "en"])
def test_the_dashboard_fits_a_phone(
    hub: tuple[str, HubRuntime], browser: Browser, lang: str
) -> None:
    url, _ = hub
    page = browser.new_context(**PHONE).new_page()
    log_in(page, url, lang)
    page.goto(f"{url}/dashboard?lang={lang}")
    assert page.locator("tr[data-device=cam1]").is_visible()
    assert page.locator("tr.alert-row button").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # Cards, not a table, on a phone: each cell names its column.
    label = page.evaluate("""getComputedStyle(
        document.querySelector('tr[data-device=cam1] td[data-label]'), '::before').content""")
    assert label not in ("none", "normal", "")
