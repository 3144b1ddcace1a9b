"""Notifications over the REST API with a carrier's token: 401, 201, 4xx, nothing half-stored."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from notify_helpers import notification
from queue_helpers import Clock

from hub.app import create_app
from hub.cli import main
from hub.config import HubSettings


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "hub.db"


@pytest.fixture
def api(db: Path) -> Iterator[TestClient]:
    settings = HubSettings(db_path=db)
    with TestClient(create_app(settings, start_worker=False, clock=Clock())) as client:
        yield client


def _token(db: Path, carrier: str, capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    assert main(["carrier", "token", carrier, "--db", str(db)]) == 0
    return {"Authorization": f"Bearer {capsys.readouterr().out.strip()}"}


@pytest.fixture
def auth(db: Path, api: TestClient, capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    return _token(db, "KZ-CARRIER-1", capsys)


def _open(api: TestClient, auth: dict[str, str]) -> int:
    return len(api.get("/api/notifications/CF-2026-0001", headers=auth).json().get("history", []))


@pytest.mark.parametrize("header", [None, "Bearer nonsense", "Basic abc"])
def test_no_valid_token_is_401(api: TestClient, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    r = api.post("/api/notifications", json=notification(), headers=headers)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"


def test_submit_amend_and_read_back(api: TestClient, auth: dict[str, str]) -> None:
    r = api.post("/api/notifications", json=notification(), headers=auth)
    assert r.status_code == 201, r.text
    assert r.json()["amendment"] == 0 and r.json()["state"] == "open"
    r = api.post("/api/notifications", json=notification(amendment=1), headers=auth)
    assert r.status_code == 201
    got = api.get("/api/notifications/CF-2026-0001", headers=auth).json()
    assert got["current"]["amendment"] == 1 and len(got["history"]) == 2
    assert got["body"]["conveyance"]["tractor"]["plate"] == "123ABC12"


def test_another_carriers_notification_is_404(
    api: TestClient, auth: dict[str, str], db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    api.post("/api/notifications", json=notification(), headers=auth)
    other = _token(db, "TM-CARRIER-9", capsys)
    assert api.get("/api/notifications/CF-2026-0001", headers=other).status_code == 404


def test_a_revoked_token_is_401(
    api: TestClient, auth: dict[str, str], db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["carrier", "revoke", "KZ-CARRIER-1", "--db", str(db)]) == 0
    assert "1 token(s) of KZ-CARRIER-1 revoked" in capsys.readouterr().out
    assert api.post("/api/notifications", json=notification(), headers=auth).status_code == 401


def test_upload_a_json_file(api: TestClient, auth: dict[str, str]) -> None:
    files = {"file": ("n.json", json.dumps(notification()), "application/json")}
    r = api.post("/api/notifications/upload", files=files, headers=auth)
    assert r.status_code == 201, r.text
    assert _open(api, auth) == 1


def test_bad_input_gets_a_clear_4xx_and_stores_nothing(
    api: TestClient, auth: dict[str, str]
) -> None:
    r = api.post("/api/notifications", content=b"{not json", headers=auth
                 | {"Content-Type": "application/json"})  # fmt: skip
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "json_invalid"
    files = {"file": ("n.json", b"{not json", "application/json")}
    r = api.post("/api/notifications/upload", files=files, headers=auth)
    assert r.status_code == 400 and r.json()["detail"].startswith("the file is not JSON")
    bad = notification(**{"equipment.containers": ["CSQU3054384"]})
    files = {"file": ("n.json", json.dumps(bad), "application/json")}
    r = api.post("/api/notifications/upload", files=files, headers=auth)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["file", "equipment", "containers", 0]
    assert "wrong check digit in container CSQU3054384" in r.json()["detail"][0]["msg"]
    r = api.post("/api/notifications", json=notification(booking_reference="AAAA-BBBB-CCCC-DDDD"),
                 headers=auth)  # fmt: skip
    assert r.status_code == 422 and r.json()["code"] == "unknown_reference"
    assert r.json()["field"] == "booking_reference"
    late = notification(**{"eta.earliest": "2026-11-21T07:00:00+00:00"})
    r = api.post("/api/notifications", json=late, headers=auth)
    assert r.status_code == 422 and r.json()["code"] == "deadline_missed"
    assert r.json()["detail"].startswith("deadline missed: received 1 h 00 min before")
    assert api.get("/api/notifications/CF-2026-0001", headers=auth).status_code == 404


def test_an_amendment_out_of_order_is_409(api: TestClient, auth: dict[str, str]) -> None:
    api.post("/api/notifications", json=notification(), headers=auth)
    r = api.post("/api/notifications", json=notification(amendment=3), headers=auth)
    assert r.status_code == 409 and r.json()["expected"] == 1
    assert _open(api, auth) == 1
