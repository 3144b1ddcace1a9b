"""Helpers for the hub tests: simulated signing devices registered in a real store."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from queue_helpers import PASSWORD, password_hash

from hub.store import Store
from shekara import wire
from shekara.ids import new_ulid
from shekara.keys import key_id


def barcode_body(text: str = "ABCU1234560") -> dict[str, Any]:
    """A minimal valid barcode.read body."""
    return {"symbology": "Code128", "text": text, "raw_b64": "QUJD", "decoder": "zxing-cpp"}


def status_body(uptime_s: int = 5) -> dict[str, Any]:
    """A minimal valid device.status body."""
    return {
        "fps": 10.0,
        "outbox_depth": 0,
        "camera": "ok",
        "software_version": "0.1.0",
        "uptime_s": uptime_s,
    }


@dataclass
class SimDevice:
    """A device that signs chained events like the edge agent does."""

    key: Ed25519PrivateKey
    address: wire.Address
    seq: int = 0
    prev_hash: str = wire.GENESIS_HASH
    session: int = 0
    signed: list[dict[str, Any]] = field(default_factory=list)

    @property
    def device_id(self) -> str:
        return self.address.device

    def topic(self, channel: wire.Channel = wire.Channel.EVENTS) -> str:
        return self.address.topic(channel)

    def next(
        self, event_type: str = wire.EventType.BARCODE_READ, body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Sign the next event of the chain."""
        if body is None:
            body = barcode_body() if event_type == wire.EventType.BARCODE_READ else status_body()
        self.seq += 1
        event = self.craft(seq=self.seq, prev_hash=self.prev_hash, event_type=event_type, body=body)
        self.prev_hash = wire.event_hash(event)
        self.signed.append(event)
        return event

    def rotate(self, new_key: Ed25519PrivateKey) -> dict[str, Any]:
        """Sign a ``device.key_rotated`` event with the current key; sign with ``new_key`` after."""
        old_id = key_id(self.key.public_key())
        body = wire.rotation_body(new_key, self.device_id, self.seq + 1, old_id)
        event = self.next(wire.EventType.DEVICE_KEY_ROTATED, body)
        self.key = new_key
        return event

    def craft(
        self,
        *,
        seq: int,
        prev_hash: str,
        event_type: str = wire.EventType.BARCODE_READ,
        body: dict[str, Any] | None = None,
        address: wire.Address | None = None,
    ) -> dict[str, Any]:
        """Sign an arbitrary event (outside the chain bookkeeping)."""
        return wire.make_event(
            self.key,
            address or self.address,
            seq=seq,
            prev_hash=prev_hash,
            event_type=event_type,
            body=barcode_body() if body is None else body,
            captured_at=wire.utc_timestamp(),
            event_id=new_ulid(),
        )

    def presence(
        self, state: str, session: int | None = None, acked_seq: int | None = None
    ) -> bytes:
        """A signed presence payload (a new session for a birth by default)."""
        if session is None:
            if state == "online":
                self.session += 1
            session = self.session
        message = {
            "v": 1,
            "device_id": self.address.device,
            "checkpoint": self.address.checkpoint,
            "lane": self.address.lane,
            "state": state,
            "session": session,
            "at": wire.utc_timestamp(),
            "software_version": "0.1.0",
            "last_seq": self.seq,
        }
        if acked_seq is not None:
            message["acked_seq"] = acked_seq
        return wire.encode(wire.sign(wire.PRESENCE_DOMAIN, message, self.key))


def register(store: Store, key: Ed25519PrivateKey, address: wire.Address) -> SimDevice:
    """Register ``key`` at ``address`` and return a device that signs with it."""
    store.add_device(address.device, key.public_key(), address.checkpoint, address.lane)
    return SimDevice(key, address)


def passage_body(plate: str, country: str | None = "KZ", at: str | None = None) -> dict[str, Any]:
    """A valid vehicle.passage body for ``plate`` (no evidence crop)."""
    seen = at or wire.utc_timestamp()
    return {
        "plate": plate, "country": country, "format": None, "confidence": 0.9,
        "candidates": [{"text": plate, "country": country, "confidence": 0.9}],
        "first_seen": seen, "last_seen": seen, "frames": 8, "direction": "toward",
        "evidence": None,
    }  # fmt: skip


def as_operator(client: TestClient) -> TestClient:
    """Log ``client`` in as an operator (created if need be): the events, devices and
    dead-letter API are operators' data."""
    queue = client.app.state.hub.queue  # type: ignore[attr-defined]
    if queue.store.user("ops") is None:
        queue.store.add_user("ops", password_hash(), "operator", "-")
    resp = client.post("/api/auth/login", json={"username": "ops", "password": PASSWORD})
    assert resp.status_code == 200, resp.text
    return client
