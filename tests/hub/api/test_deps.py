"""Access to every route, one by one: who may call it, and what everyone else gets.

ACCESS classifies each route of the app; a route added without a line here fails
``test_every_route_is_classified``, so nothing becomes reachable by default.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from queue_helpers import Clock, password_hash

from hub.app import create_app
from hub.config import HubSettings
from hub.runtime import HubRuntime

PUBLIC, CARRIER, PAGE = "public", "carrier", "page"  # PAGE: login page redirect
CARRIER_PAGE = "carrier page"  # back to the token sign-in
OFFICER, OFFICER_W, OPERATOR, OPERATOR_W, ADMIN, ADMIN_W = (
    "officer", "officer+csrf", "operator", "operator+csrf", "admin", "admin+csrf")  # fmt: skip

ACCESS: dict[tuple[str, str], str] = {
    ("GET", "/healthz"): PUBLIC,
    # Open only in development without metrics_token; the token: tests/hub/test_metrics.py.
    ("GET", "/metrics"): PUBLIC,
    # Operational data: plates in events, device keys, rejected payloads.
    ("GET", "/api/events"): OPERATOR, ("GET", "/api/devices"): OPERATOR,
    ("GET", "/api/devices/{device_id}"): OPERATOR, ("GET", "/api/dead-letters"): OPERATOR,
    # The device lifecycle: a new device has no login; operators decide and revoke.
    ("POST", "/api/enrolments"): PUBLIC, ("GET", "/api/enrolments/{code}"): PUBLIC,
    ("GET", "/api/enrolments"): OPERATOR, ("GET", "/api/audit"): OPERATOR,
    ("POST", "/api/enrolments/{code}/approve"): OPERATOR_W,
    ("POST", "/api/enrolments/{code}/reject"): OPERATOR_W,
    ("POST", "/api/devices/{device_id}/revoke"): OPERATOR_W,
    # The operators' dashboard and alerts (docs/dashboard.md).
    ("GET", "/api/dashboard"): OPERATOR, ("GET", "/api/alerts"): OPERATOR,
    ("POST", "/api/alerts/{alert_id}/ack"): OPERATOR_W,
    # Drivers: no account, the unguessable reference is the key.
    ("GET", "/api/queue/directions"): PUBLIC, ("GET", "/api/queue/slots"): PUBLIC,
    ("POST", "/api/queue/holds"): PUBLIC, ("POST", "/api/queue/bookings"): PUBLIC,
    ("POST", "/api/queue/bookings/{reference}/complete"): PUBLIC,
    ("GET", "/api/queue/bookings/{reference}"): PUBLIC,
    ("POST", "/api/queue/bookings/{reference}/cancel"): PUBLIC,
    ("POST", "/api/queue/bookings/{reference}/reschedule"): PUBLIC,
    ("POST", "/api/queue/bookings/{reference}/driver"): PUBLIC,
    ("GET", "/api/queue/board"): PUBLIC, ("GET", "/api/queue/stats"): PUBLIC,
    ("GET", "/api/queue/journal"): PUBLIC, ("GET", "/api/queue/journal/verify"): PUBLIC,
    ("POST", "/api/auth/login"): PUBLIC, ("POST", "/api/auth/logout"): PUBLIC,
    ("GET", "/"): PUBLIC, ("GET", "/board"): PUBLIC, ("GET", "/book"): PUBLIC,
    ("POST", "/book"): PUBLIC, ("GET", "/book/{reference}"): PUBLIC,
    ("POST", "/book/{reference}"): PUBLIC, ("GET", "/b/{reference}"): PUBLIC,
    ("POST", "/b/{reference}/cancel"): PUBLIC, ("POST", "/b/{reference}/reschedule"): PUBLIC,
    ("GET", "/login"): PUBLIC, ("POST", "/login"): PUBLIC, ("POST", "/logout"): PUBLIC,
    # The certificate log: hashes only; verification; the witness (the checkpoint's
    # signature is its authentication, c2sp.org/tlog-witness).
    ("GET", "/api/log/checkpoint"): PUBLIC, ("GET", "/api/log/proof/inclusion"): PUBLIC,
    ("GET", "/api/log/proof/consistency"): PUBLIC, ("POST", "/api/certificates/verify"): PUBLIC,
    ("GET", "/verify"): PUBLIC, ("POST", "/verify"): PUBLIC,
    ("POST", "/witness/add-checkpoint"): PUBLIC,
    # Carriers, with an API token.
    ("POST", "/api/notifications"): CARRIER, ("POST", "/api/notifications/upload"): CARRIER,
    ("GET", "/api/notifications/{notification_id}"): CARRIER,
    ("GET", "/carrier"): PUBLIC, ("POST", "/carrier/login"): PUBLIC,  # the sign-in form
    ("POST", "/carrier/notify"): CARRIER_PAGE,
    ("GET", "/api/carrier/certificates/{cert_id}"): CARRIER,
    # Officers (and the roles above them).
    ("GET", "/api/queue/waiting"): OFFICER, ("GET", "/api/queue/churn"): OFFICER,
    ("GET", "/api/queue/unmatched"): OFFICER, ("GET", "/api/lanes/{lane}/arrival"): OFFICER,
    ("GET", "/api/lanes/{lane}/live"): OFFICER, ("GET", "/api/search"): OFFICER,
    ("GET", "/api/decisions"): OFFICER, ("GET", "/api/evidence/{sha256}"): OFFICER,
    ("GET", "/api/certificates/{cert_id}"): OFFICER,
    ("GET", "/api/arrivals/{arrival_id}/certificates"): OFFICER,
    ("POST", "/api/arrivals/{arrival_id}/certificates"): OFFICER_W,
    ("POST", "/api/queue/call"): OFFICER_W, ("POST", "/api/queue/trucks/{booking}/skip"): OFFICER_W,
    ("POST", "/api/queue/trucks/{booking}/inspect"): OFFICER_W,
    ("POST", "/api/queue/trucks/{booking}/decide"): OFFICER_W,
    ("POST", "/api/queue/walk-ins"): OFFICER_W,
    ("POST", "/api/arrivals/{arrival_id}/decision"): OFFICER_W,
    ("POST", "/api/queue/capacity"): OPERATOR_W, ("POST", "/api/log/checkpoint"): OPERATOR_W,
    ("GET", "/api/admin/users"): ADMIN, ("POST", "/api/admin/users"): ADMIN_W,
    ("POST", "/api/admin/carriers/{carrier}/tokens"): ADMIN_W,
    ("DELETE", "/api/admin/carriers/{carrier}/tokens"): ADMIN_W,
    # Officers' pages: the login page instead of the content.
    ("GET", "/officer"): PAGE, ("POST", "/officer/{action}"): PAGE,
    ("GET", "/officer/lanes/{lane}"): PAGE, ("GET", "/officer/search"): PAGE,
    ("GET", "/officer/certificates/{cert_id}"): PAGE,
    ("GET", "/dashboard"): PAGE, ("POST", "/dashboard/alerts/{alert_id}/ack"): PAGE,
    ("GET", "/dashboard/devices/{device_id}/revoke"): PAGE,
    ("POST", "/dashboard/devices/{device_id}/revoke"): PAGE,
}  # fmt: skip
SAMPLE = {"{reference}": "AAAA-BBBB-CCCC-DDDD", "{device_id}": "cam-1", "{booking}": "0" * 64,
          "{notification_id}": "CF-1", "{lane}": "entry-1", "{arrival_id}": "1",
          "{carrier}": "KZ-CARRIER-1", "{action}": "call", "{sha256}": "a" * 64,
          "{cert_id}": "TEMIRBABA-2026-00000000", "{code}": "AAAAA-BBBBB",
          "{alert_id}": "1"}  # fmt: skip


def routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route the app serves, docs and static files aside."""
    found = set()
    for route in app.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        for context in contexts() if contexts else [route]:
            path = getattr(context, "path", None)
            if path is None or path.startswith(("/docs", "/redoc", "/openapi")):
                continue
            found |= {(m, path) for m in getattr(context, "methods", None) or () if m != "HEAD"}
    return found


def _url(path: str) -> str:
    return re.sub(r"\{\w+\}", lambda m: SAMPLE[m.group(0)], path)


@pytest.fixture
def api(tmp_path: Path) -> Iterator[TestClient]:
    settings = HubSettings(db_path=tmp_path / "hub.db")
    with TestClient(create_app(settings, start_worker=False, clock=Clock())) as client:
        runtime: HubRuntime = client.app.state.hub  # type: ignore[attr-defined]
        for name in ("officer", "operator", "admin"):
            runtime.queue.store.add_user(name, password_hash(), name, "-")
        yield client


def _login(api: TestClient, name: str) -> dict[str, str]:
    resp = api.post("/api/auth/login", json={"username": name, "password": "long enough pw"})
    return {"X-CSRF-Token": resp.json()["csrf"]}


def test_every_route_is_classified(api: TestClient) -> None:
    assert routes(api.app) == set(ACCESS)  # type: ignore[arg-type]


@pytest.mark.parametrize(("method", "path"), sorted(k for k, v in ACCESS.items() if v != PUBLIC))
def test_no_credentials_no_access(api: TestClient, method: str, path: str) -> None:
    resp = api.request(method, _url(path), follow_redirects=False)
    if ACCESS[(method, path)] == PAGE:
        assert resp.status_code == 303 and resp.headers["location"].startswith("/login")
    elif ACCESS[(method, path)] == CARRIER_PAGE:
        assert resp.status_code == 303 and resp.headers["location"].startswith("/carrier")
    else:
        assert resp.status_code == 401, resp.text


@pytest.mark.parametrize(
    ("method", "path"), sorted(k for k, v in ACCESS.items() if v.endswith("+csrf"))
)
def test_a_change_without_the_csrf_token_is_403(api: TestClient, method: str, path: str) -> None:
    _login(api, "admin")  # the strongest role: only the missing token can refuse it
    assert api.request(method, _url(path), json={}).status_code == 403


@pytest.mark.parametrize(
    ("who", "level"), [("officer", OPERATOR), ("officer", OPERATOR_W), ("officer", ADMIN),
                       ("officer", ADMIN_W), ("operator", ADMIN), ("operator", ADMIN_W)],
)  # fmt: skip
def test_a_role_below_is_403(api: TestClient, who: str, level: str) -> None:
    csrf = _login(api, who)
    for (method, path), needed in ACCESS.items():
        if needed == level:
            resp = api.request(method, _url(path), json={}, headers=csrf)
            assert resp.status_code == 403, (who, method, path, resp.text)


def test_a_carrier_token_is_no_session_and_a_session_is_no_carrier_token(
    api: TestClient,
) -> None:
    csrf = _login(api, "admin")
    token = api.post("/api/admin/carriers/KZ-CARRIER-1/tokens", headers=csrf).json()["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/notifications/CF-1").status_code == 401  # the admin's cookie only
    api.cookies.clear()
    assert api.get("/api/notifications/CF-1", headers=bearer).status_code == 404
    assert api.get("/api/decisions", headers=bearer).status_code == 401


def test_admins_manage_logins_and_tokens(api: TestClient) -> None:
    csrf = _login(api, "admin")
    made = api.post(
        "/api/admin/users",
        headers=csrf,
        json={"username": "dana", "role": "officer", "password": "long enough pw"},
    )
    assert made.status_code == 201  # fmt: skip
    assert "dana" in [u["username"] for u in api.get("/api/admin/users").json()]
    short = api.post(
        "/api/admin/users",
        headers=csrf,
        json={"username": "x1", "role": "officer", "password": "short"},
    )
    assert short.status_code == 422  # fmt: skip
    api.post("/api/admin/carriers/KZ-CARRIER-1/tokens", headers=csrf)
    revoked = api.delete("/api/admin/carriers/KZ-CARRIER-1/tokens", headers=csrf)
    assert revoked.json() == {"revoked": 1}
