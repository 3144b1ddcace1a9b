"""POST /api/auth/login over a real database: the per-address limit, JSON only, expiry."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from queue_helpers import PASSWORD, Clock, password_hash

from hub.app import create_app
from hub.config import HubSettings
from hub.runtime import HubRuntime

LOGIN = {"username": "officer1", "password": PASSWORD}


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def api(tmp_path: Path, clock: Clock) -> Iterator[TestClient]:
    settings = HubSettings(db_path=tmp_path / "hub.db", session_hours=2)
    with TestClient(create_app(settings, start_worker=False, clock=clock)) as client:
        runtime: HubRuntime = client.app.state.hub  # type: ignore[attr-defined]
        runtime.queue.store.add_user("officer1", password_hash(), "officer", "-")
        yield client


def test_logins_from_one_address_are_limited_on_top_of_the_lockout(api: TestClient) -> None:
    # A sweep of one password over many names never trips a per-account lockout.
    codes = [api.post("/api/auth/login", json={"username": f"u{n}", "password": PASSWORD})
             .status_code for n in range(10)]  # fmt: skip
    assert codes == [401] * 10
    limited = api.post("/api/auth/login", json=LOGIN)
    assert limited.status_code == 429 and limited.headers["retry-after"] == "60"
    assert limited.json()["code"] == "rate_limited" and "wait a minute" in limited.json()["detail"]
    assert "shekara_session" not in api.cookies


@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data"]
)
def test_a_login_posted_by_a_form_of_another_site_is_refused(
    api: TestClient, content_type: str
) -> None:
    # What an HTML form can send cross-site without a CORS preflight: JSON-looking text.
    sent = api.post("/api/auth/login", content=json.dumps(LOGIN),
                    headers={"Content-Type": content_type})  # fmt: skip
    assert sent.status_code == 422 and "shekara_session" not in api.cookies
    assert api.post("/api/auth/login", json=LOGIN).status_code == 200


def test_an_idle_session_is_refused_and_one_in_use_lives_until_it_expires(
    api: TestClient, clock: Clock
) -> None:
    api.post("/api/auth/login", json=LOGIN)
    for _ in range(3):  # used every 25 minutes: 30 idle minutes never pass
        clock.advance(minutes=25)
        assert api.get("/api/queue/waiting", params={"direction": "kz-tm"}).status_code == 200
    clock.advance(minutes=31)  # 1 h 46 min after the login: only the idle limit has passed
    idle = api.get("/api/queue/waiting", params={"direction": "kz-tm"})
    assert idle.status_code == 401 and idle.json()["detail"] == "log in first"
    api.post("/api/auth/login", json=LOGIN)
    for _ in range(4):
        clock.advance(minutes=29)
        assert api.get("/api/queue/waiting", params={"direction": "kz-tm"}).status_code == 200
    clock.advance(minutes=5)  # never idle, but 2 h 1 min after the login (session_hours=2)
    assert api.get("/api/queue/waiting", params={"direction": "kz-tm"}).status_code == 401
