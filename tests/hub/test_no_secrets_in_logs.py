"""No password, token or key reaches a log line, at DEBUG, uvicorn's access log included.

The hub is served by uvicorn as ``shekara-hub serve`` serves it (its loggers propagate to
the root, ``log_config=None``) and used the way people use it: logins good and bad, by
API and by form, bookings, a carrier's token by API and sign-in form, refused forgeries.
"""

from __future__ import annotations

import logging
from pathlib import Path

import httpx2
import pytest
from form_helpers import form_token
from live_hub import live_hub
from notify_helpers import notification
from queue_helpers import PASSWORD, START, Clock, password_hash

from hub.config import HubSettings
from hub.notify.desk import new_token, token_hash
from hub.runtime import HubRuntime

JOURNAL_KEY, FORM_SECRET = "journal-" + "J" * 32, "form-" + "F" * 32
WRONG = "Wrong-Password-0451"
BOOKING = {"direction": "kz-tm", "category": "general", "slot": "2026-11-21T12:00:00Z",
           "tractor": {"plate": "123 ABC 02", "country": "KZ"}, "trailers": [],
           "driver_name": "Aidos", "phone": "+7 701 555 0101", "carrier": ""}  # fmt: skip


def _everything_logged(records: list[logging.LogRecord]) -> str:
    handler = logging.Handler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    return "\n".join(f"{handler.format(r)} {r.args!r} {r.__dict__}" for r in records)


def test_no_secret_reaches_the_logs(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    settings = HubSettings(db_path=tmp_path / "hub.db", journal_key=JOURNAL_KEY,
                           form_secret=FORM_SECRET)  # fmt: skip
    carrier = new_token()
    with (
        live_hub(settings, Clock(START), log_config=None, log_level="debug") as (url, app),
        httpx2.Client(base_url=url) as api,
        httpx2.Client(base_url=url) as browser,
    ):
        runtime: HubRuntime = app.state.hub
        runtime.queue.store.add_user("officer1", password_hash(), "officer", "-")
        runtime.notify.store.add_token(token_hash(carrier), "KZ-CARRIER-1", "-")
        # The API: a wrong password, the right one, a change with the CSRF token, a booking.
        for password, code in ((WRONG, 401), ("p" * 300, 422)):  # 422: too long
            tried = api.post("/api/auth/login", json={"username": "officer1", "password": password})
            assert tried.status_code == code
        login = api.post("/api/auth/login", json={"username": "officer1", "password": PASSWORD})
        csrf, session = login.json()["csrf"], api.cookies["shekara_session"]
        called = api.post("/api/queue/call", json={"direction": "kz-tm", "lane": "entry-1"},
                          headers={"X-CSRF-Token": csrf})  # fmt: skip
        assert called.status_code == 404 and "waiting" in called.text  # past the CSRF check
        assert api.post("/api/queue/bookings", json=BOOKING).status_code == 201
        # The carrier's token by API, and a notification with it.
        bearer = {"Authorization": f"Bearer {carrier}"}
        assert api.post("/api/notifications", json=notification(), headers=bearer
                        ).status_code == 201  # fmt: skip
        # The forms: logins, a forged post, the carrier's sign-in, a booking.
        token = form_token(browser)
        nonce = browser.cookies["shekara_form"]
        for password in (WRONG, PASSWORD):
            browser.post("/login", data={"username": "officer1", "password": password,
                                         "csrf": token})  # fmt: skip
        assert browser.post("/login", data={"username": "officer1", "password": PASSWORD,
                                            "csrf": "forged"}).status_code == 403  # fmt: skip
        assert browser.post("/carrier/login", data={"token": carrier, "csrf": token},
                            follow_redirects=False).status_code == 303  # fmt: skip
        held = browser.post("/book", data={"direction": "kz-tm", "category": "general",
                            "day": "2026-11-21", "hour": "17", "tractor": "124ABC02",
                            "csrf": token}, follow_redirects=False)  # fmt: skip
        assert held.status_code == 303
        browser_session = browser.cookies["shekara_session"]
    # The test's own HTTP clients log what they send and receive at DEBUG: not the hub.
    hub = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    logged = _everything_logged(hub)
    assert '"POST /api/auth/login HTTP/1.1" 401' in logged  # uvicorn's access log is here
    assert '"POST /carrier/login HTTP/1.1" 303' in logged
    secrets = {"password": PASSWORD, "wrong password": WRONG, "long password": "p" * 300,
               "session": session, "form session": browser_session, "csrf": csrf,
               "form token": token, "form nonce": nonce, "carrier token": carrier,
               "carrier token (no prefix)": carrier.removeprefix("shk_"),
               "journal key": JOURNAL_KEY, "form secret": FORM_SECRET}  # fmt: skip
    assert [name for name, value in secrets.items() if value in logged] == []
