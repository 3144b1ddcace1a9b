"""The queue's public REST API over a real database: booking by reference, errors, journal."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from queue_helpers import START, Clock

from hub.app import create_app
from hub.config import HubSettings

SLOT = (START + timedelta(hours=6)).isoformat()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def api(tmp_path: Path, clock: Clock) -> Iterator[TestClient]:
    settings = HubSettings(db_path=tmp_path / "hub.db")
    with TestClient(create_app(settings, start_worker=False, clock=clock)) as client:
        yield client


def booking(plate: str = "123 ABC 02", **extra: object) -> dict[str, object]:
    return {
        "direction": "kz-tm", "category": "general", "slot": SLOT,
        "tractor": {"plate": plate, "country": "KZ"}, "trailers": [],
        "driver_name": "Aidos", "phone": "+7 701 555 0101", "carrier": "Caspian", **extra,
    }  # fmt: skip


def test_book_then_look_up_cancel_by_reference(api: TestClient) -> None:
    created = api.post("/api/queue/bookings", json=booking())
    assert created.status_code == 201, created.text
    ref = created.json()["reference"]
    assert created.json()["booking"]["tractor"] == "123ABC02 KZ"
    status = api.get(f"/api/queue/bookings/{ref.lower()}").json()
    assert status["booking"]["state"] == "booked" and status["position"] is None
    assert status["estimated_call"].startswith("2026-11-21T12:00")
    assert api.post(f"/api/queue/bookings/{ref}/cancel").json()["state"] == "cancelled"


def test_hold_then_complete(api: TestClient) -> None:
    body = booking()
    held = api.post("/api/queue/holds", json={k: body[k] for k in
                    ("direction", "category", "slot", "tractor", "trailers")})  # fmt: skip
    assert held.status_code == 201 and held.json()["booking"]["state"] == "held"
    ref = held.json()["reference"]
    driver = {"driver_name": "Aidos", "phone": "+77015550101", "carrier": ""}
    done = api.post(f"/api/queue/bookings/{ref}/complete", json=driver)
    assert done.json()["state"] == "booked"


def test_an_unknown_reference_is_404(api: TestClient) -> None:
    assert api.get("/api/queue/bookings/AAAA-BBBB-CCCC-DDDD").status_code == 404
    assert api.get("/api/queue/bookings/nonsense").json()["code"] == "not_found"


def test_a_bad_plate_is_422_naming_the_field(api: TestClient) -> None:
    resp = api.post("/api/queue/bookings", json=booking("12"))
    assert resp.status_code == 422
    assert resp.json()["code"] == "invalid" and resp.json()["field"] == "plate"
    assert "not a KZ plate" in resp.json()["detail"]


def test_a_second_booking_of_one_truck_is_409(api: TestClient) -> None:
    assert api.post("/api/queue/bookings", json=booking()).status_code == 201
    resp = api.post("/api/queue/bookings", json=booking("123АВС02"))  # Cyrillic
    assert resp.status_code == 409 and resp.json()["code"] == "plate_busy"


def test_an_unknown_direction_lists_the_known_ones(api: TestClient) -> None:
    resp = api.post("/api/queue/bookings", json=booking(direction="north"))
    assert resp.status_code == 422 and "kz-tm" in resp.json()["detail"]


def test_a_phone_is_rate_limited(api: TestClient) -> None:
    codes = [api.post("/api/queue/bookings", json=booking(f"1{n:02d}ABC02")).status_code
             for n in range(25)]  # fmt: skip
    assert codes.count(201) == 20 and codes[-1] == 429


def test_slots_stats_board_and_journal_are_public(api: TestClient) -> None:
    api.post("/api/queue/bookings", json=booking())
    slots = api.get("/api/queue/slots", params={"direction": "kz-tm", "date": "2026-11-21"})
    taken = [s for s in slots.json() if s["taken"]]
    assert len(slots.json()) == 24 * 6 and taken[0]["hour"].startswith("2026-11-21T12:00")
    assert api.get("/api/queue/stats", params={"direction": "kz-tm"}).json()["waiting"] == 0
    assert api.get("/api/queue/board", params={"direction": "kz-tm"}).json()["called"] == []
    entries = api.get("/api/queue/journal").json()
    assert [e["kind"] for e in entries] == ["policy", "booked"]
    verdict = api.get("/api/queue/journal/verify").json()
    assert verdict["ok"] and verdict["entries"] == 2


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "text/plain"])
def test_a_booking_posted_by_a_form_of_another_site_is_refused(
    api: TestClient, content_type: str
) -> None:
    # An HTML form elsewhere can send JSON-looking text with these types, no preflight.
    sent = api.post("/api/queue/bookings", content=json.dumps(booking()),
                    headers={"Content-Type": content_type})  # fmt: skip
    assert sent.status_code == 422
    assert api.get("/api/queue/journal").json()[-1]["kind"] == "policy"  # nothing booked
