"""Arrivals from real signed lane events on a real store: visits, matches, evidence."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hub_support import SimDevice, passage_body, register
from notify_helpers import CONTAINER, code_body, notification, sscc
from queue_helpers import Clock, make_service

from hub.ingest import Ingestor
from hub.notify.arrivals import ArrivalDesk, LaneBell, code_of
from hub.notify.desk import NotifyDesk
from hub.notify.feeder import ArrivalFeeder
from hub.notify.model import NotificationIn
from hub.notify.records import KeyKind
from hub.outcome import Kind
from hub.queue.service import QueueService
from hub.store import EventFilter, Store
from hub.store.arrival_sql import ArrivalTables
from hub.store.notify_sql import NotifyStore
from shekara import wire
from shekara.wire import encode

PASSAGE, BARCODE = wire.EventType.VEHICLE_PASSAGE, wire.EventType.BARCODE_READ


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Store, QueueService, SimDevice, SimDevice]]:
    store, queue = make_service(tmp_path / "hub.db", Clock())
    front = register(store, Ed25519PrivateKey.generate(),
                     wire.Address("temirbaba", "entry-1", "cam-front"))  # fmt: skip
    rear = register(store, Ed25519PrivateKey.generate(),
                    wire.Address("temirbaba", "entry-1", "cam-rear"))  # fmt: skip
    yield store, queue, front, rear
    store.close()


@pytest.fixture
def feeder(world: tuple[Store, QueueService, SimDevice, SimDevice]) -> ArrivalFeeder:
    store, queue, _, _ = world
    notify = NotifyStore(store)
    NotifyDesk(notify, queue, 2.0, queue.now).submit(
        NotificationIn.model_validate(notification()), "KZ-CARRIER-1"
    )
    desk = ArrivalDesk(notify, ArrivalTables(store), LaneBell())
    f = ArrivalFeeder(store, queue.store, "temirbaba", desk)
    f.step()  # sets the cursor at the (empty) start
    return f


def _send(store: Store, device: SimDevice, kind: str, body: dict[str, Any]) -> str:
    event = device.next(kind, body)
    outcome = Ingestor(store).process(device.topic(), encode(event))
    assert outcome.kind is Kind.STORED, outcome
    return str(event["event_id"])


def test_codes_are_read_as_notifications_declare_them() -> None:
    assert code_of(code_body(CONTAINER)) == (KeyKind.CONTAINER, CONTAINER)
    assert code_of(code_body(sscc(1))) == (KeyKind.SSCC, sscc(1))
    assert code_of(code_body("KZ-778812")) == (KeyKind.SEAL, "KZ778812")


def test_a_truck_and_its_scans_match_the_notification(
    world: tuple[Store, QueueService, SimDevice, SimDevice], feeder: ArrivalFeeder
) -> None:
    store, _, front, _ = world
    plate_event = _send(store, front, PASSAGE, passage_body("123ABC12"))
    for code in (CONTAINER, sscc(1), sscc(9)):
        _send(store, front, BARCODE, code_body(code))
    assert feeder.step() == 4
    arrival = feeder.desk.arrivals.current_arrival("entry-1")
    assert arrival is not None and arrival.level == "match" and arrival.score == 1.0
    best = arrival.result["best"]
    assert best["notification"] == "CF-2026-0001" and not best["tractor_changed"]
    status = {i["code"]: i["status"] for i in best["items"]}
    assert status == {CONTAINER: "declared_seen", "KZ778812": "declared_not_seen",
                      sscc(1): "declared_seen", sscc(2): "declared_not_seen",
                      sscc(9): "seen_not_declared"}  # fmt: skip
    stored = {e.event_id: e.hash for e in store.query_events(EventFilter(limit=10))}
    evidence = arrival.sighting["events"]
    assert evidence[0]["event_id"] == plate_event and len(evidence) == 4
    assert all(e["hash"] == stored[e["event_id"]] for e in evidence)
    assert feeder.desk.bell.version("entry-1") == 4


def test_the_rear_camera_joins_the_visit_and_a_swapped_tractor_is_flagged(
    world: tuple[Store, QueueService, SimDevice, SimDevice], feeder: ArrivalFeeder
) -> None:
    store, _, front, rear = world
    _send(store, front, PASSAGE, passage_body("777XYZ12"))  # not the declared tractor
    feeder.step()
    first = feeder.desk.arrivals.current_arrival("entry-1")
    assert first is not None and first.level == "none"
    _send(store, rear, PASSAGE, passage_body("456 ABD 12"))  # the declared trailer
    feeder.step()
    arrival = feeder.desk.arrivals.current_arrival("entry-1")
    assert arrival is not None and arrival.id == first.id
    assert arrival.level == "match" and arrival.result["best"]["tractor_changed"]
    assert "trailer handed over" in arrival.result["best"]["reasons"][-1]


def test_a_near_miss_is_probable_and_a_decided_visit_is_not_joined(
    world: tuple[Store, QueueService, SimDevice, SimDevice], feeder: ArrivalFeeder
) -> None:
    store, _, front, _ = world
    _send(store, front, PASSAGE, passage_body("123ABD12"))  # D for C: one wrong letter
    feeder.step()
    arrival = feeder.desk.arrivals.current_arrival("entry-1")
    assert arrival is not None and arrival.level == "probable" and arrival.score == 0.5
    feeder.desk.arrivals.record_decision(
        arrival.id, "officer1", "release", {"at": arrival.updated_at}, True, None
    )
    _send(store, front, BARCODE, code_body(CONTAINER))
    feeder.step()
    later = feeder.desk.arrivals.current_arrival("entry-1")
    assert later is not None and later.id != arrival.id and later.level == "match"
    assert later.sighting["readings"] == []


def test_a_fourth_passage_within_a_minute_is_another_vehicle(
    world: tuple[Store, QueueService, SimDevice, SimDevice], feeder: ArrivalFeeder
) -> None:
    store, _, front, _ = world
    for text in ("777XYZ12", "777XYZ13", "777XYZ14", "123ABC12"):
        _send(store, front, PASSAGE, passage_body(text))
    feeder.step()
    arrival = feeder.desk.arrivals.current_arrival("entry-1")
    assert arrival is not None and [r["text"] for r in arrival.sighting["readings"]] == ["123ABC12"]
    assert arrival.level == "match"
