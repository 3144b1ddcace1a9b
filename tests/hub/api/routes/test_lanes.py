"""The officer terminal's API over real signed events: 401/403/404, the view, decisions."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from hub_support import passage_body, register
from notify_helpers import CONTAINER, sscc
from queue_helpers import Clock, password_hash
from terminal_helpers import hub_runtime, officer_login, truck_at_entry

from hub.app import create_app
from hub.config import HubSettings
from hub.ingest import Ingestor
from hub.notify.decisions import verify_chain
from hub.queue.policy import State
from shekara import wire
from shekara.wire import encode

ROUTES = [("GET", "/api/lanes/entry-1/arrival"), ("GET", "/api/lanes/entry-1/live"),
          ("POST", "/api/arrivals/1/decision"), ("GET", "/api/search?q=123ABC12"),
          ("GET", "/api/decisions")]  # fmt: skip


@pytest.fixture
def api(tmp_path: Path) -> Iterator[TestClient]:
    settings = HubSettings(db_path=tmp_path / "hub.db")
    with TestClient(create_app(settings, start_worker=False, clock=Clock())) as client:
        hub_runtime(client).queue.store.add_user(
            "officer1", password_hash(), "officer", "2026-01-01"
        )
        yield client


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_terminal_route_is_401_without_a_session(
    api: TestClient, method: str, path: str
) -> None:
    assert api.request(method, path, json={"action": "release"}).status_code == 401


def test_a_decision_without_csrf_is_403(api: TestClient) -> None:
    officer_login(api)
    assert api.post("/api/arrivals/1/decision", json={"action": "release"}).status_code == 403


def test_an_unknown_lane_or_arrival_is_404(api: TestClient) -> None:
    csrf = officer_login(api)
    assert api.get("/api/lanes/entry-9/arrival").status_code == 404
    r = api.post("/api/arrivals/99/decision", json={"action": "release"}, headers=csrf)
    assert r.status_code == 404 and r.json()["code"] == "not_found"


def test_the_officer_sees_the_match_and_releases_the_truck(api: TestClient) -> None:
    csrf = officer_login(api)
    reference, arrival_id = truck_at_entry(api)
    view = api.get("/api/lanes/entry-1/arrival").json()["arrival"]
    assert view["level"] == "match" and view["booking"]["state"] == "at_control"
    assert view["notification"]["amendment"] == 0 and not view["notification"]["amended_since"]
    assert {i["code"]: i["status"] for i in view["best"]["items"]}[sscc(2)] == "declared_seen"
    r = api.post(f"/api/arrivals/{arrival_id}/decision", headers=csrf,
                 json={"action": "release", "seals": "intact", "remarks": "all in order",
                       "item_remarks": {CONTAINER: "checked"}})  # fmt: skip
    assert r.status_code == 200, r.text
    record = r.json()
    assert record["conform"] and record["queue"] == "booking cleared"
    assert record["officer"] == "officer1" and len(record["arrival"]["evidence"]) == 4
    assert {i["code"]: i["remark"] for i in record["items"]}[CONTAINER] == "checked"
    runtime = hub_runtime(api)
    assert runtime.queue.status(reference).booking.state is State.CLEARED
    history = runtime.notify.store.history("KZ-CARRIER-1", "CF-2026-0001")
    assert history[-1].state.value == "released"
    again = api.post(f"/api/arrivals/{arrival_id}/decision", headers=csrf,
                     json={"action": "refuse", "remarks": "changed my mind"})  # fmt: skip
    assert again.status_code == 409 and again.json()["code"] == "already_decided"
    log = api.get("/api/decisions").json()
    assert verify_chain([(e["prev"], e["hash"], e["body"]) for e in log]) == 1


def test_inspection_then_refusal_and_a_tampered_log_fails(api: TestClient) -> None:
    csrf = officer_login(api)
    _, arrival_id = truck_at_entry(api)
    r = api.post(f"/api/arrivals/{arrival_id}/decision", headers=csrf,
                 json={"action": "inspect", "remarks": "seal looks re-glued"})  # fmt: skip
    assert r.json()["queue"] == "booking inspection"
    r = api.post(f"/api/arrivals/{arrival_id}/decision", headers=csrf,
                 json={"action": "refuse", "seals": "broken",
                       "remarks": "seal broken"})  # fmt: skip
    assert r.json()["queue"] == "booking refused" and not r.json()["conform"]
    log = [(e["prev"], e["hash"], e["body"]) for e in api.get("/api/decisions").json()]
    assert verify_chain(log) == 2
    tampered = [*log[:1], (log[1][0], log[1][1], {**log[1][2], "seals": "intact"})]
    with pytest.raises(ValueError, match="decision 2: its body does not hash"):
        verify_chain(tampered)
    with sqlite3.connect(hub_runtime(api).settings.db_path) as conn, pytest.raises(
        sqlite3.IntegrityError, match="append-only"
    ):  # fmt: skip
        conn.execute("UPDATE decisions SET action = 'release'")


def test_search_by_plate_container_and_sscc(api: TestClient) -> None:
    officer_login(api)
    truck_at_entry(api)
    for q in ("123 ABC 12", CONTAINER, f"(00){sscc(1)}"):
        found = api.get("/api/search", params={"q": q}).json()
        assert [n["notification"] for n in found["notifications"]] == ["CF-2026-0001"], q
    assert api.get("/api/search", params={"q": "123ABC12"}).json()["arrivals"][0]["plates"] == [
        "123ABC12"
    ]


def test_an_evidence_crop_is_served_to_officers_only(api: TestClient) -> None:
    runtime = hub_runtime(api)
    cam = register(runtime.store, Ed25519PrivateKey.generate(),
                   wire.Address("temirbaba", "entry-1", "cam-9"))  # fmt: skip
    crop = b"\xff\xd8\xff\xe0 crop"
    digest = hashlib.sha256(crop).hexdigest()
    body = passage_body("123ABC12")
    body["evidence"] = {"sha256": digest, "file": f"{digest}.jpg", "media_type": "image/jpeg",
                        "width": 1, "height": 1}  # fmt: skip
    ingestor = Ingestor(runtime.store)
    ingestor.process(cam.topic(), encode(cam.next(wire.EventType.VEHICLE_PASSAGE, body)))
    ingestor.process(cam.address.topic(wire.Channel.EVIDENCE), crop)
    assert api.get(f"/api/evidence/{digest}").status_code == 401
    officer_login(api)
    got = api.get(f"/api/evidence/{digest}")
    assert got.status_code == 200 and got.content == crop
    assert got.headers["content-type"] == "image/jpeg"
    assert api.get(f"/api/evidence/{'0' * 64}").status_code == 404
    assert api.get("/api/evidence/not-a-hash").status_code == 422
