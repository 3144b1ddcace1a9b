"""The HTTP API over a real database (API-only app; events go through the pipeline)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from hub_support import SimDevice, as_operator, register, status_body

from hub.app import create_app
from hub.config import HubSettings
from hub.ingest import Ingestor
from hub.store import Store
from shekara import wire
from shekara.wire import encode


@pytest.fixture
def api(db_path: Path, device: SimDevice) -> Iterator[TestClient]:
    settings = HubSettings(db_path=db_path)
    with TestClient(create_app(settings, start_worker=False)) as client:
        yield as_operator(client)


@pytest.fixture
def pipeline(api: TestClient) -> Ingestor:
    ingestor: Ingestor = api.app.state.hub.ingestor  # type: ignore[attr-defined]
    return ingestor


@pytest.fixture
def other(store: Store) -> SimDevice:
    return register(store, Ed25519PrivateKey.generate(), wire.Address("cp2", "lane7", "cam7"))


def test_events_filters(
    api: TestClient, pipeline: Ingestor, device: SimDevice, other: SimDevice
) -> None:
    for _ in range(2):
        pipeline.process(device.topic(), encode(device.next()), received_at=1000.0)
    pipeline.process(device.topic(), encode(device.next("device.status")), received_at=2000.0)
    pipeline.process(other.topic(), encode(other.next()), received_at=3000.0)

    page = api.get("/api/events").json()
    assert [(e["device_id"], e["seq"]) for e in page["events"]] == [
        ("cam1", 1), ("cam1", 2), ("cam1", 3), ("cam7", 1)
    ]  # fmt: skip
    assert all(e["verified"] is True for e in page["events"])
    assert page["events"][0]["body"] == device.signed[0]["body"]
    assert page["next_since"] == page["events"][-1]["event_id"]

    def seqs(**params: str | int) -> list[tuple[str, int]]:
        resp = api.get("/api/events", params=params)
        assert resp.status_code == 200, resp.text
        return [(e["device_id"], e["seq"]) for e in resp.json()["events"]]

    assert seqs(checkpoint="cp2") == [("cam7", 1)]
    assert seqs(lane="lane1") == [("cam1", 1), ("cam1", 2), ("cam1", 3)]
    assert seqs(type="device.status") == [("cam1", 3)]
    assert seqs(device_id="cam7", type="barcode.read") == [("cam7", 1)]
    assert seqs(since=page["events"][1]["event_id"]) == [("cam1", 3), ("cam7", 1)]
    assert seqs(since="1970-01-01T00:33:20Z") == [("cam1", 3), ("cam7", 1)]
    assert seqs(since="1970-01-01T05:33:20+05:00") == [("cam1", 3), ("cam7", 1)]
    assert seqs(limit=1, order="desc") == [("cam7", 1)]
    assert api.get("/api/events", params={"order": "desc"}).json()["next_since"] is None


def test_events_bad_parameters(api: TestClient) -> None:
    resp = api.get("/api/events", params={"since": "yesterday"})
    assert resp.status_code == 422
    assert "neither an event_id" in resp.json()["detail"]
    assert api.get("/api/events", params={"since": "2025-01-01T00:00:00"}).status_code == 422
    assert api.get("/api/events", params={"limit": 100_000}).status_code == 422


def test_devices_list_and_detail(api: TestClient, pipeline: Ingestor, device: SimDevice) -> None:
    events = [device.next() for _ in range(4)]
    pipeline.process(device.topic(), encode(events[0]))
    pipeline.process(device.topic(), encode(device.next("device.status", status_body(42))))
    pipeline.process(device.topic(wire.Channel.STATUS), device.presence("online"))
    # events[1..3] were signed before the status event (seq 5): 2..4 are missing.
    (listed,) = api.get("/api/devices").json()
    assert listed["device_id"] == "cam1" and listed["state"] == "online"
    assert listed["last_seq"] == 5 and listed["stored"] == 2
    assert listed["gaps"] == [[2, 4]] and listed["missing"] == 3
    assert listed["last_status"]["uptime_s"] == 42
    assert listed["key_id"] == device.signed[0]["key_id"]
    assert api.get("/api/devices/cam1").json() == listed


def test_unknown_device_is_404_with_detail(api: TestClient) -> None:
    resp = api.get("/api/devices/ghost")
    assert resp.status_code == 404
    assert resp.json() == {"detail": "device 'ghost' is not registered"}


def test_dead_letters_listing(api: TestClient, pipeline: Ingestor, device: SimDevice) -> None:
    junk = b"not json at all"
    pipeline.process(device.topic(), junk)
    pipeline.process("elsewhere/topic", b"{}")
    letters = api.get("/api/dead-letters").json()
    assert [d["reason"] for d in letters] == ["bad_topic", "malformed_json"]
    (malformed,) = api.get("/api/dead-letters", params={"reason": "malformed_json"}).json()
    assert malformed["topic"] == device.topic()
    assert malformed["device_id"] == "cam1"
    assert malformed["size"] == len(junk)
    assert malformed["sha256"] == hashlib.sha256(junk).hexdigest()
    assert base64.b64decode(malformed["payload_preview_b64"]) == junk
    assert "not JSON" in malformed["detail"]
    short = api.get("/api/dead-letters", params={"reason": "malformed_json", "preview_bytes": 3})
    assert base64.b64decode(short.json()[0]["payload_preview_b64"]) == junk[:3]


def test_healthz_and_openapi(api: TestClient, pipeline: Ingestor, device: SimDevice) -> None:
    event = encode(device.next())
    pipeline.process(device.topic(), event)
    pipeline.process(device.topic(), event)
    pipeline.process(device.topic(), b"x")
    health = api.get("/healthz").json()
    assert health["status"] == "ok" and health["db"] == "ok"
    assert health["mqtt"]["enabled"] is False
    assert health["counters"]["stored"] == 1
    assert health["counters"]["duplicates"] == 1
    assert health["counters"]["dead_letters_by_reason"] == {"malformed_json": 1}
    assert health["totals"] == {"devices": 1, "events": 1, "dead_letters": 1}
    paths = api.get("/openapi.json").json()["paths"]
    assert {"/api/events", "/api/devices", "/api/devices/{device_id}", "/api/dead-letters",
            "/healthz"} <= set(paths)  # fmt: skip
    assert api.get("/docs").status_code == 200
