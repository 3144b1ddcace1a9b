"""The officer terminal's API over real signed events: 401/403/404, the view, decisions."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from hub_support import SimDevice, passage_body, register
from notify_helpers import CONTAINER, code_body, notification, sscc
from queue_helpers import START, Clock, password_hash

from hub.app import create_app
from hub.config import HubSettings
from hub.ingest import Ingestor
from hub.notify.decisions import verify_chain
from hub.notify.feeder import ArrivalFeeder
from hub.notify.model import NotificationIn
from hub.queue.policy import Category, State
from hub.runtime import HubRuntime
from shekara import wire
from shekara.wire import encode

ROUTES = [("GET", "/api/lanes/entry-1/arrival"), ("GET", "/api/lanes/entry-1/live"),
          ("POST", "/api/arrivals/1/decision"), ("GET", "/api/search?q=123ABC12"),
          ("GET", "/api/decisions")]  # fmt: skip


@pytest.fixture
def api(tmp_path: Path) -> Iterator[TestClient]:
    settings = HubSettings(db_path=tmp_path / "hub.db")
    with TestClient(create_app(settings, start_worker=False, clock=Clock())) as client:
        _runtime(client).queue.store.add_user("officer1", password_hash(), "officer", "2026-01-01")
        yield client


def _runtime(client: TestClient) -> HubRuntime:
    runtime: HubRuntime = client.app.state.hub  # type: ignore[attr-defined]
    return runtime


def _login(api: TestClient) -> dict[str, str]:
    resp = api.post("/api/auth/login", json={"username": "officer1", "password": "long enough pw"})
    return {"X-CSRF-Token": resp.json()["csrf"]}


def _truck_at_entry(api: TestClient) -> tuple[str, int]:
    """A booked truck called to entry-1, its notification, and its signed lane reads fed."""
    runtime = _runtime(api)
    queue, store = runtime.queue, runtime.store
    slot = START + timedelta(hours=1)
    reference, _ = queue.book("kz-tm", Category.GENERAL, slot, ("123ABC12", "KZ"), [],
                              "Aidos", "+77015550101", "Caspian")  # fmt: skip
    runtime.notify.submit(
        NotificationIn.model_validate(notification(booking_reference=reference)), "KZ-CARRIER-1"
    )
    queue.on_passage("e-wait", "wait-out", ["123ABC12"], "KZ", START)
    queue.call_next("kz-tm", "entry-1", "officer1")
    queue.on_passage("e-entry", "entry-1", ["123ABC12"], "KZ", START)
    feeder = ArrivalFeeder(store, queue.store, "temirbaba", runtime.arrivals)
    feeder.step()
    cam: SimDevice = register(store, Ed25519PrivateKey.generate(),
                              wire.Address("temirbaba", "entry-1", "cam-1"))  # fmt: skip
    ingestor = Ingestor(store)
    ingestor.process(cam.topic(), encode(cam.next(wire.EventType.VEHICLE_PASSAGE,
                                                  passage_body("123ABC12"))))  # fmt: skip
    for code in (CONTAINER, sscc(1), sscc(2)):
        ingestor.process(
            cam.topic(), encode(cam.next(wire.EventType.BARCODE_READ, code_body(code)))
        )
    assert feeder.step() == 4
    arrival = runtime.arrivals.arrivals.current_arrival("entry-1")
    assert arrival is not None
    return reference, arrival.id


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_terminal_route_is_401_without_a_session(
    api: TestClient, method: str, path: str
) -> None:
    assert api.request(method, path, json={"action": "release"}).status_code == 401


def test_a_decision_without_csrf_is_403(api: TestClient) -> None:
    _login(api)
    assert api.post("/api/arrivals/1/decision", json={"action": "release"}).status_code == 403


def test_an_unknown_lane_or_arrival_is_404(api: TestClient) -> None:
    csrf = _login(api)
    assert api.get("/api/lanes/entry-9/arrival").status_code == 404
    r = api.post("/api/arrivals/99/decision", json={"action": "release"}, headers=csrf)
    assert r.status_code == 404 and r.json()["code"] == "not_found"


def test_the_officer_sees_the_match_and_releases_the_truck(api: TestClient) -> None:
    csrf = _login(api)
    reference, arrival_id = _truck_at_entry(api)
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
    runtime = _runtime(api)
    assert runtime.queue.status(reference).booking.state is State.CLEARED
    history = runtime.notify.store.history("KZ-CARRIER-1", "CF-2026-0001")
    assert history[-1].state.value == "released"
    again = api.post(f"/api/arrivals/{arrival_id}/decision", headers=csrf,
                     json={"action": "refuse", "remarks": "changed my mind"})  # fmt: skip
    assert again.status_code == 409 and again.json()["code"] == "already_decided"
    log = api.get("/api/decisions").json()
    assert verify_chain([(e["prev"], e["hash"], e["body"]) for e in log]) == 1


def test_inspection_then_refusal_and_a_tampered_log_fails(api: TestClient) -> None:
    csrf = _login(api)
    _, arrival_id = _truck_at_entry(api)
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
    with sqlite3.connect(_runtime(api).settings.db_path) as conn, pytest.raises(
        sqlite3.IntegrityError, match="append-only"
    ):  # fmt: skip
        conn.execute("UPDATE decisions SET action = 'release'")


def test_search_by_plate_container_and_sscc(api: TestClient) -> None:
    _login(api)
    _truck_at_entry(api)
    for q in ("123 ABC 12", CONTAINER, f"(00){sscc(1)}"):
        found = api.get("/api/search", params={"q": q}).json()
        assert [n["notification"] for n in found["notifications"]] == ["CF-2026-0001"], q
    assert api.get("/api/search", params={"q": "123ABC12"}).json()["arrivals"][0]["plates"] == [
        "123ABC12"
    ]


def test_an_evidence_crop_is_served_to_officers_only(api: TestClient) -> None:
    runtime = _runtime(api)
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
    _login(api)
    got = api.get(f"/api/evidence/{digest}")
    assert got.status_code == 200 and got.content == crop
    assert got.headers["content-type"] == "image/jpeg"
    assert api.get(f"/api/evidence/{'0' * 64}").status_code == 404
    assert api.get("/api/evidence/not-a-hash").status_code == 422
