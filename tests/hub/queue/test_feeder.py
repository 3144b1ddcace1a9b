"""End to end: signed plate reads through a real Mosquitto move a booking along."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from hub_support import SimDevice, passage_body, register
from mqtt_helpers import TestClientMQTT, wait_until
from queue_helpers import password_hash

from hub.app import create_app
from hub.config import HubSettings
from hub.queue.journal import booking_id
from hub.queue.policy import Category
from hub.queue.service import QueueService
from hub.store import Store
from shekara import wire
from shekara.localbroker import LocalBroker
from shekara.wire import encode

PASSAGE = wire.EventType.VEHICLE_PASSAGE


@pytest.fixture
def lanes(db_path: Path) -> dict[str, SimDevice]:
    with Store(db_path) as store:
        return {
            lane: register(store, Ed25519PrivateKey.generate(),
                           wire.Address("temirbaba", lane, f"cam-{lane}"))
            for lane in ("wait-out", "entry-1", "exit-1")
        }  # fmt: skip


@pytest.fixture
def settings(db_path: Path, broker: LocalBroker) -> HubSettings:
    return HubSettings(db_path=db_path, mqtt_host=broker.host, mqtt_port=broker.port)


def _start(settings: HubSettings) -> TestClient:
    client = TestClient(create_app(settings))
    client.__enter__()
    assert client.app.state.hub.worker.wait_connected(10)  # type: ignore[attr-defined]
    return client


@pytest.fixture
def hub(settings: HubSettings, lanes: dict[str, SimDevice]) -> Iterator[TestClient]:
    client = _start(settings)
    yield client
    client.__exit__(None, None, None)


def _queue(client: TestClient) -> QueueService:
    queue: QueueService = client.app.state.hub.queue  # type: ignore[attr-defined]
    return queue


def _state(client: TestClient, reference: str) -> str:
    return str(client.get(f"/api/queue/bookings/{reference}").json()["booking"]["state"])


def test_plate_reads_through_mosquitto_move_a_booking_to_the_exit(
    hub: TestClient, lanes: dict[str, SimDevice], mqttc: TestClientMQTT
) -> None:
    wait_until(lambda: _queue(hub).store.meta("lane_event_cursor"), what="feeder started")
    slot = (datetime.now(UTC) + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    booked = hub.post("/api/queue/bookings", json={
        "direction": "kz-tm", "category": "general", "slot": slot.isoformat(),
        "tractor": {"plate": "123 ABC 02", "country": "KZ"},
        "driver_name": "Aidos", "phone": "+77015550101"})  # fmt: skip
    assert booked.status_code == 201, booked.text
    reference = booked.json()["reference"]

    def read(lane: str, plate: str) -> str:
        event = lanes[lane].next(PASSAGE, passage_body(plate))
        mqttc.publish(lanes[lane].topic(), encode(event))
        return str(event["event_id"])

    arrival = read("wait-out", "123ABC02")
    wait_until(lambda: _state(hub, reference) == "arrived", what="checked in")
    assert hub.get(f"/api/queue/bookings/{reference}").json()["position"] == 1

    _queue(hub).store.add_user("officer1", password_hash(), "officer", "-")
    login = hub.post("/api/auth/login", json={"username": "officer1", "password": "long enough pw"})
    headers = {"X-CSRF-Token": login.json()["csrf"]}
    hub.post("/api/queue/call", json={"direction": "kz-tm", "lane": "entry-1"}, headers=headers)
    assert _state(hub, reference) == "called"

    read("entry-1", "123ABC02")
    wait_until(lambda: _state(hub, reference) == "at_control", what="at control")
    truck = booking_id(reference)
    hub.post(f"/api/queue/trucks/{truck}/decide", json={"cleared": True}, headers=headers)
    exit_read = read("exit-1", "123ABC02")
    wait_until(lambda: _state(hub, reference) == "exited", what="exited")

    causes = {e.kind: e.cause for e in _queue(hub).store.journal_of(truck)}
    assert causes["arrived"] == {"event_id": arrival}
    assert causes["exited"] == {"event_id": exit_read}
    assert hub.get("/api/queue/journal/verify").json()["ok"]

    unknown = read("wait-out", "777ZZZ02")
    reads = wait_until(lambda: _queue(hub).store.unmatched(), what="unmatched read kept")
    assert (reads[0].event_id, reads[0].reason) == (unknown, "no active booking")


def test_the_queue_resumes_after_a_restart_without_losing_reads(
    settings: HubSettings, lanes: dict[str, SimDevice], mqttc: TestClientMQTT
) -> None:
    hub = _start(settings)
    wait_until(lambda: _queue(hub).store.meta("lane_event_cursor"), what="feeder started")
    slot = (datetime.now(UTC) + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    references = []
    for n in range(3):
        reference, _ = _queue(hub).book(
            "kz-tm", Category.GENERAL, slot, (f"10{n}ABC02", "KZ"), [], "Aidos",
            "+77015550101", "",
        )  # fmt: skip
        references.append(reference)
    hub.__exit__(None, None, None)
    # Reads published while the hub is down wait in the broker's session.
    waiting_zone = lanes["wait-out"]
    for n in range(3):
        event = waiting_zone.next(PASSAGE, passage_body(f"10{n}ABC02"))
        mqttc.publish(waiting_zone.topic(), encode(event))
    hub = _start(settings)
    try:
        wait_until(lambda: all(_state(hub, r) == "arrived" for r in references), what="all in")
        arrived = [e for e in _queue(hub).store.journal() if e.kind == "arrived"]
        assert len(arrived) == 3
    finally:
        hub.__exit__(None, None, None)
