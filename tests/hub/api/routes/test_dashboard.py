"""GET /api/dashboard, GET /api/alerts, POST /api/alerts/{id}/ack: who may, and what."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from dashboard_helpers import presence, report
from fastapi.testclient import TestClient
from hub_support import register
from queue_helpers import Clock, book, password_hash

from hub.app import create_app
from hub.config import HubSettings
from hub.runtime import HubRuntime
from hub.store.device_sql import DeviceTables
from shekara import wire


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def api(tmp_path: Path, clock: Clock) -> Iterator[TestClient]:
    settings = HubSettings(db_path=tmp_path / "hub.db", alert_offline_minutes=10)
    with TestClient(create_app(settings, start_worker=False, clock=clock)) as client:
        runtime = _runtime(client)
        for name, role in (("officer1", "officer"), ("operator1", "operator")):
            runtime.queue.store.add_user(name, password_hash(), role, "2026-01-01")
        yield client


def _runtime(client: TestClient) -> HubRuntime:
    runtime: HubRuntime = client.app.state.hub  # type: ignore[attr-defined]
    return runtime


def _login(api: TestClient, name: str) -> dict[str, str]:
    resp = api.post("/api/auth/login", json={"username": name, "password": "long enough pw"})
    assert resp.status_code == 200, resp.text
    return {"X-CSRF-Token": resp.json()["csrf"]}


def _an_alert(api: TestClient, clock: Clock) -> int:
    """A registered device never seen for 11 minutes: one open alert."""
    runtime = _runtime(api)
    runtime.store.add_device("quiet", Ed25519PrivateKey.generate().public_key(), "temirbaba",
                             "exit-1")  # fmt: skip
    clock.advance(minutes=11)
    (alert,), _ = runtime.alerts.evaluator.evaluate()
    return alert.id


def test_the_dashboard_needs_an_operators_login(api: TestClient) -> None:
    assert api.get("/api/dashboard").status_code == 401
    _login(api, "officer1")
    resp = api.get("/api/dashboard")
    assert resp.status_code == 403 and resp.json()["detail"] == "operators only"
    _login(api, "operator1")
    assert api.get("/api/dashboard").status_code == 200


def test_the_dashboard_shows_the_queue_the_devices_and_the_alerts(
    api: TestClient, clock: Clock
) -> None:
    runtime, now = _runtime(api), clock.now
    book(runtime.queue, "100ABC02", now + timedelta(hours=1))
    runtime.queue.on_passage("r1", "wait-out", ["100ABC02"], "KZ", now)
    cam = register(runtime.store, Ed25519PrivateKey.generate(),
                   wire.Address("temirbaba", "entry-1", "cam1"))  # fmt: skip
    presence(runtime.ingestor, cam, "online", now)
    for minutes, depth in ((3, 5), (2, 9), (1, 14)):
        report(runtime.ingestor, cam, now - timedelta(minutes=minutes), depth, cpu_temp_c=55.0)
    alert_id = _an_alert(api, clock)
    _login(api, "operator1")

    body = api.get("/api/dashboard").json()

    assert (body["checkpoint"], body["timezone"]) == ("temirbaba", "Asia/Aqtau")
    kz = next(d for d in body["directions"] if d["direction"] == "kz-tm")
    assert kz["waiting"]["general"] == 1 and kz["waiting_total"] == 1
    assert kz["longest_wait_minutes"] == 11.0 and len(kz["hours"]) == 24 and len(kz["days"]) == 7
    assert kz["today"] == {"count": 0, "p50": None, "p90": None}
    (group,) = body["devices"]
    assert group["checkpoint"] == "temirbaba" and group["online"] == 1
    by_id = {d["device_id"]: d for d in group["devices"]}
    assert by_id["cam1"]["outbox_history"] == [5, 9, 14]
    assert (by_id["cam1"]["outbox_trend"], by_id["cam1"]["cpu_temp_c"]) == ("rising", 55.0)
    assert by_id["quiet"]["state"] == "unknown"
    assert [a["id"] for a in body["open_alerts"]] == [alert_id]
    assert body["dead_letters"] == {"window_minutes": 10.0, "in_window": 0, "total": 0}


def test_alerts_need_an_operators_login(api: TestClient, clock: Clock) -> None:
    alert_id = _an_alert(api, clock)
    assert api.get("/api/alerts").status_code == 401
    _login(api, "officer1")
    assert api.get("/api/alerts").status_code == 403
    _login(api, "operator1")
    (listed,) = api.get("/api/alerts").json()
    assert (listed["id"], listed["rule"], listed["subject"]) == (alert_id, "device_never_seen",
                                                                 "quiet")  # fmt: skip
    assert listed["open"] is True and listed["acked_by"] is None
    assert api.get("/api/alerts", params={"state": "nonsense"}).status_code == 422


def test_all_alerts_include_the_ended_ones(api: TestClient, clock: Clock) -> None:
    alert_id = _an_alert(api, clock)
    runtime = _runtime(api)
    DeviceTables(runtime.store).revoke("quiet", "scrapped", "ops", wire.utc_timestamp(clock.now))
    assert runtime.alerts.evaluator.evaluate()[1][0].id == alert_id  # cleared
    _login(api, "operator1")
    assert api.get("/api/alerts").json() == []
    (ended,) = api.get("/api/alerts", params={"state": "all"}).json()
    assert ended["id"] == alert_id and ended["open"] is False and ended["cleared_at"]


def test_acknowledging_needs_a_login(api: TestClient, clock: Clock) -> None:
    alert_id = _an_alert(api, clock)
    assert api.post(f"/api/alerts/{alert_id}/ack").status_code == 401


def test_acknowledging_needs_the_csrf_token(api: TestClient, clock: Clock) -> None:
    alert_id = _an_alert(api, clock)
    _login(api, "operator1")
    resp = api.post(f"/api/alerts/{alert_id}/ack")
    assert resp.status_code == 403 and "CSRF" in resp.json()["detail"]


def test_officers_cannot_acknowledge(api: TestClient, clock: Clock) -> None:
    alert_id = _an_alert(api, clock)
    headers = _login(api, "officer1")
    assert api.post(f"/api/alerts/{alert_id}/ack", headers=headers).status_code == 403


def test_an_unknown_alert_is_404(api: TestClient) -> None:
    headers = _login(api, "operator1")
    resp = api.post("/api/alerts/99/ack", headers=headers)
    assert resp.status_code == 404 and resp.json()["detail"] == "no alert has the id 99"
    assert api.post("/api/alerts/0/ack", headers=headers).status_code == 422


def test_an_operator_acknowledges_once_and_it_is_audited(api: TestClient, clock: Clock) -> None:
    alert_id = _an_alert(api, clock)
    headers = _login(api, "operator1")
    acked = api.post(f"/api/alerts/{alert_id}/ack", headers=headers)
    assert acked.status_code == 200
    assert (acked.json()["acked_by"], acked.json()["acked_at"]) == (
        "operator1", wire.utc_timestamp(clock.now))  # fmt: skip
    again = api.post(f"/api/alerts/{alert_id}/ack", headers=headers)
    assert again.status_code == 409 and "by operator1" in again.json()["detail"]
    audit = api.get("/api/audit").json()
    acks = [(a["actor"], a["subject"]) for a in audit if a["action"] == "alert.ack"]
    assert acks == [("operator1", f"alert:{alert_id}")]
