"""Officer routes: 401 without login, 403 without CSRF or the operator role, the calls."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from queue_helpers import START, Clock, password_hash

from hub.app import create_app
from hub.config import HubSettings
from hub.queue.policy import Category
from hub.queue.service import QueueService

SLOT = START + timedelta(hours=6)


@pytest.fixture
def clock() -> Clock:
    return Clock(SLOT)


@pytest.fixture
def api(tmp_path: Path, clock: Clock) -> Iterator[TestClient]:
    settings = HubSettings(db_path=tmp_path / "hub.db")
    with TestClient(create_app(settings, start_worker=False, clock=clock)) as client:
        queue = _queue(client)
        for name, role in (("officer1", "officer"), ("operator1", "operator")):
            queue.store.add_user(name, password_hash(), role, "2026-01-01")
        yield client


def _queue(client: TestClient) -> QueueService:
    queue: QueueService = client.app.state.hub.queue  # type: ignore[attr-defined]
    return queue


def _login(api: TestClient, name: str) -> dict[str, str]:
    resp = api.post("/api/auth/login", json={"username": name, "password": "long enough pw"})
    assert resp.status_code == 200, resp.text
    assert "httponly" in resp.headers["set-cookie"].lower()
    return {"X-CSRF-Token": resp.json()["csrf"]}


def _arrived_truck(api: TestClient) -> str:
    queue = _queue(api)
    reference, _ = queue.book("kz-tm", Category.GENERAL, SLOT, ("100ABC02", "KZ"), [], "Aidos",
                              "+77015550101", "")  # fmt: skip
    queue.on_passage("e1", "wait-out", ["100ABC02"], "KZ", SLOT)
    return reference


def test_a_wrong_password_is_401(api: TestClient) -> None:
    resp = api.post("/api/auth/login", json={"username": "officer1", "password": "nope nope nope"})
    assert resp.status_code == 401
    resp = api.post("/api/auth/login", json={"username": "ghost", "password": "long enough pw"})
    assert resp.status_code == 401


def test_officer_routes_need_a_login(api: TestClient) -> None:
    assert api.get("/api/queue/waiting", params={"direction": "kz-tm"}).status_code == 401
    resp = api.post("/api/queue/call", json={"direction": "kz-tm", "lane": "entry-1"})
    assert resp.status_code == 401


def test_changes_need_the_csrf_token(api: TestClient) -> None:
    _login(api, "officer1")
    resp = api.post("/api/queue/call", json={"direction": "kz-tm", "lane": "entry-1"})
    assert resp.status_code == 403 and "CSRF" in resp.json()["detail"]


def test_capacity_is_for_operators_only(api: TestClient) -> None:
    body = {"direction": "kz-tm", "category": "general", "hour": SLOT.isoformat(), "slots": 3}
    headers = _login(api, "officer1")
    assert api.post("/api/queue/capacity", json=body, headers=headers).status_code == 403
    headers = _login(api, "operator1")
    assert api.post("/api/queue/capacity", json=body, headers=headers).status_code == 204
    slots = api.get("/api/queue/slots", params={"direction": "kz-tm"}).json()
    assert any(s["capacity"] == 3 and s["category"] == "general" for s in slots)


def test_call_skip_decide_and_logout(api: TestClient) -> None:
    headers = _login(api, "officer1")
    call = {"direction": "kz-tm", "lane": "entry-1"}
    assert api.post("/api/queue/call", json=call, headers=headers).status_code == 404
    _arrived_truck(api)
    line = api.get("/api/queue/waiting", params={"direction": "kz-tm"}).json()
    assert [w["tractor"] for w in line] == ["100ABC02 KZ"]
    truck = line[0]["booking"]
    resp = api.post(f"/api/queue/trucks/{truck}/skip", json={"reason": "x"}, headers=headers)
    assert resp.status_code == 422 and resp.json()["field"] == "reason"
    called = api.post("/api/queue/call", json=call, headers=headers).json()
    assert (called["state"], called["lane"]) == ("called", "entry-1")
    board = api.get("/api/queue/board", params={"direction": "kz-tm"}).json()
    assert board["called"][0]["tractor"] == "100ABC02"
    decided = api.post(f"/api/queue/trucks/{truck}/decide",
                       json={"cleared": False, "reason": "papers"}, headers=headers)  # fmt: skip
    assert decided.json()["state"] == "refused"
    assert api.post("/api/queue/trucks/nope/inspect", headers=headers).status_code == 404
    api.post("/api/auth/logout")
    assert api.get("/api/queue/waiting", params={"direction": "kz-tm"}).status_code == 401


def test_walk_ins_and_unmatched_reads(api: TestClient) -> None:
    headers = _login(api, "officer1")
    body = {"direction": "kz-tm", "category": "empty", "tractor": {"plate": "555ZZZ02",
            "country": "KZ"}, "driver_name": "Walk In", "phone": "+77010000000"}  # fmt: skip
    assert api.post("/api/queue/walk-ins", json=body, headers=headers).status_code == 201
    _queue(api).on_passage("e9", "wait-out", ["999ZZZ02"], "KZ", SLOT)
    reads = api.get("/api/queue/unmatched", headers=headers).json()
    assert [r["plate"] for r in reads] == ["999ZZZ02"]


def test_churn_counts_cancellations_and_driver_changes(api: TestClient) -> None:
    queue = _queue(api)
    for _ in range(2):
        reference, _ = queue.book("kz-tm", Category.GENERAL, SLOT + timedelta(hours=5),
                                  ("100ABC02", "KZ"), [], "Aidos", "+77015550101", "")  # fmt: skip
        queue.cancel(reference)
    reference, _ = queue.book("kz-tm", Category.GENERAL, SLOT + timedelta(hours=5),
                              ("200ABC02", "KZ"), [], "Aidos", "+77015550101", "")  # fmt: skip
    queue.change_driver(reference, "Berik", "+77015550202")
    _login(api, "operator1")
    rows = {r["tractor"]: r for r in api.get("/api/queue/churn").json()}
    assert rows["100ABC02 KZ"]["cancellations"] == 2
    assert rows["200ABC02 KZ"]["driver_changes"] == 1
