"""The operators' dashboard page through the ASGI app: who sees it, what it shows in each
language, acknowledging an alert and revoking a device with the session's CSRF token."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from dashboard_helpers import presence, report
from fastapi.testclient import TestClient
from form_helpers import post_form
from hub_support import register
from queue_helpers import Clock, book, password_hash

from hub.app import create_app
from hub.config import HubSettings
from hub.runtime import HubRuntime
from hub.store.device_sql import DeviceTables
from shekara import wire

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def web(tmp_path: Path, clock: Clock) -> Iterator[TestClient]:
    settings = HubSettings(db_path=tmp_path / "hub.db", alert_offline_minutes=10,
                           alert_outbox_reports=3)  # fmt: skip
    with TestClient(create_app(settings, start_worker=False, clock=clock)) as client:
        store = runtime(client).queue.store
        store.add_user("officer1", password_hash(), "officer", "-")
        store.add_user("ops", password_hash(), "operator", "-")
        yield client


def runtime(client: TestClient) -> HubRuntime:
    hub: HubRuntime = client.app.state.hub  # type: ignore[attr-defined]
    return hub


def login(web: TestClient, name: str) -> None:
    resp = post_form(web, "/login", {"username": name, "password": "long enough pw"})
    assert resp.status_code == 200, resp.text


def a_checkpoint(web: TestClient, clock: Clock) -> None:
    """A truck waiting, a lane camera reporting a growing outbox, a device never seen."""
    hub, now = runtime(web), clock.now
    book(hub.queue, "100ABC02", now + timedelta(hours=1))
    hub.queue.on_passage("r1", "wait-out", ["100ABC02"], "KZ", now)
    cam = register(hub.store, Ed25519PrivateKey.generate(),
                   wire.Address("temirbaba", "entry-1", "cam1"))  # fmt: skip
    presence(hub.ingestor, cam, "online", now)
    for minutes, depth in ((3, 5), (2, 9), (1, 140)):
        report(hub.ingestor, cam, now - timedelta(minutes=minutes), depth, cpu_temp_c=58.0,
               disk_free_mb=900)  # fmt: skip
    register(hub.store, Ed25519PrivateKey.generate(), wire.Address("garabogaz", "x-1", "gb1"))
    clock.advance(minutes=11)
    hub.alerts.evaluator.evaluate()


def test_only_operators_see_the_dashboard(web: TestClient) -> None:
    resp = web.get("/dashboard", follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"].startswith("/login")
    login(web, "officer1")
    refused = web.get("/dashboard?lang=ru")
    assert refused.status_code == 403 and "Только для операторов." in refused.text
    assert 'href="/dashboard' not in web.get("/officer?lang=en").text  # no link for officers
    login(web, "ops")
    assert web.get("/dashboard").status_code == 200
    assert 'href="/dashboard?lang=en"' in web.get("/officer?lang=en").text


def test_the_dashboard_shows_figures_devices_and_alerts(web: TestClient, clock: Clock) -> None:
    a_checkpoint(web, clock)
    login(web, "ops")
    page = web.get("/dashboard?lang=en").text
    assert '<meta http-equiv="refresh" content="30">' in page and "<script" not in page
    assert "Kazakhstan → Turkmenistan" in page and "Turkmenistan → Kazakhstan" in page
    assert '<span class="value" data-figure="waiting">1</span>' in page
    assert '<span class="value" data-figure="longest">11</span>' in page
    assert '<td data-category="general">1</td>' in page
    assert page.count('<svg class="chart"') == 4  # waits and throughput of two directions
    assert 'aria-label="Trucks called per hour today against capacity: Kazakhstan' in page
    row = re.search(r'<tr data-device="cam1">.*?</tr>', page, re.S)
    assert row is not None
    for text in ("online", "140", "rising", "58 °C", "900 MB", "0.1.0", 'class="spark"'):
        assert text in row.group(0), text
    assert "garabogaz: 0 of 1 online" in page and "temirbaba: 1 of 1 online" in page
    assert page.index("garabogaz: 0 of 1") < page.index("temirbaba: 1 of 1")
    assert "Alerts: 2" in page
    assert "gb1 (x-1) was registered 11 min ago and never seen" in page
    assert "The outbox of cam1 is growing: 5 to 140 events" in page  # 3 reports, above 100
    assert page.count('<button class="small">Acknowledge</button>') == 2
    assert 'href="/api/dead-letters"' in page and 'href="/officer?lang=en"' in page


@pytest.mark.parametrize(
    ("lang", "texts"),
    [
        ("ru", ["Мониторинг", "Устройства", "в сети", "Оповещения", "Медиана"]),
        ("kk", ["Мониторинг", "Құрылғылар", "желіде", "Ескертулер", "Медиана"]),
        ("tk", ["Monitoring", "Enjamlar", "ulgamda", "Duýduryşlar", "Mediana"]),
    ],
)
def test_the_dashboard_speaks_the_operators_language(
    web: TestClient, clock: Clock, lang: str, texts: list[str]
) -> None:
    a_checkpoint(web, clock)
    login(web, "ops")
    page = web.get(f"/dashboard?lang={lang}").text
    assert f'<html lang="{lang}">' in page
    for text in texts:
        assert text in page, text
    assert "Devices" not in page and "never seen" not in page


def test_an_operator_acknowledges_an_alert_with_the_csrf_token(
    web: TestClient, clock: Clock
) -> None:
    a_checkpoint(web, clock)
    login(web, "ops")
    page = web.get("/dashboard?lang=en").text
    action = re.search(r'action="(/dashboard/alerts/(\d+)/ack)', page)
    csrf = CSRF.search(page)
    assert action is not None and csrf is not None
    forged = web.post(action.group(1), data={"csrf": "forged"})
    assert forged.status_code == 403 and "The form expired" in forged.text
    done = web.post(action.group(1) + "?lang=en", data={"csrf": csrf.group(1)},
                    follow_redirects=False)  # fmt: skip
    assert done.status_code == 303 and done.headers["location"].startswith("/dashboard?done=acked")
    after = web.get(done.headers["location"]).text
    assert "Alert acknowledged." in after and "by ops, " in after
    acked = runtime(web).alerts.tables.get(int(action.group(2)))
    assert acked is not None and acked.acked_by == "ops"
    entries = DeviceTables(runtime(web).store).audit_log()
    assert [(e.actor, e.action) for e in entries] == [("ops", "alert.ack")]
    missing = web.post("/dashboard/alerts/999/ack", data={"csrf": csrf.group(1)})
    assert missing.status_code == 404


def test_a_device_is_revoked_after_a_confirmation_with_a_reason(
    web: TestClient, clock: Clock
) -> None:
    a_checkpoint(web, clock)
    login(web, "ops")
    page = web.get("/dashboard?lang=en").text
    assert 'href="/dashboard/devices/gb1/revoke?lang=en"' in page
    confirm = web.get("/dashboard/devices/gb1/revoke?lang=en")
    assert confirm.status_code == 200 and "Revoke gb1?" in confirm.text
    csrf = CSRF.search(confirm.text)
    assert csrf is not None
    assert web.post("/dashboard/devices/gb1/revoke", data={"csrf": "x", "reason": "gone"}
                    ).status_code == 403  # fmt: skip
    for reason in ("", "  x "):
        empty = web.post("/dashboard/devices/gb1/revoke?lang=en",
                         data={"csrf": csrf.group(1), "reason": reason})  # fmt: skip
        assert empty.status_code == 422 and "Give a reason." in empty.text
    done = web.post("/dashboard/devices/gb1/revoke?lang=en",
                    data={"csrf": csrf.group(1), "reason": "stolen from the lane"},
                    follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    revocation = DeviceTables(runtime(web).store).revocations()["gb1"]
    assert (revocation.actor, revocation.reason) == ("web:ops", "stolen from the lane")
    after = web.get(done.headers["location"]).text
    assert "Device revoked." in after and 'href="/dashboard/devices/gb1/revoke' not in after
    again = web.post("/dashboard/devices/gb1/revoke?lang=en",
                     data={"csrf": csrf.group(1), "reason": "twice"})  # fmt: skip
    assert again.status_code == 409 and "This device is already revoked." in again.text
    assert web.get("/dashboard/devices/nope/revoke").status_code == 404
