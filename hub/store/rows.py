"""Column lists, write statements and row-to-record conversion of the SQLite store."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from hub.store.models import DeadLetter, Device, Gap, StoredEvent

DEVICE_COLUMNS = (
    "device_id, public_key_b64, key_id, checkpoint, lane, added_at, last_seen, last_seq, "
    "last_hash, stored_count, online, session, presence_at, last_status"
)
EVENT_COLUMNS = (
    "event_id, device_id, checkpoint, lane, seq, type, captured_at, received_at, body, hash, "
    "prev_hash"
)
DEAD_COLUMNS = (
    "id, received_at, topic, reason, detail, device_id, payload, payload_size, payload_sha256"
)

INSERT_EVENT = (
    "INSERT INTO events (event_id, device_id, checkpoint, lane, seq, type, captured_at, "
    "received_at, body, hash, prev_hash, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
INSERT_DEAD = (
    "INSERT INTO dead_letters (received_at, topic, reason, detail, device_id, payload, "
    "payload_size, payload_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
UPDATE_DEVICE = (
    "UPDATE devices SET last_seq = ?, last_hash = ?, last_seen = ?, "
    "stored_count = stored_count + ?, last_status = COALESCE(?, last_status) "
    "WHERE device_id = ?"
)
UPDATE_PRESENCE = (
    "UPDATE devices SET online = ?, session = ?, presence_at = ?, "
    "last_seen = COALESCE(?, last_seen) WHERE device_id = ?"
)


def device_of(row: Sequence[Any], gaps: list[Gap]) -> Device:
    (device_id, pub, kid, checkpoint, lane, added_at, last_seen, last_seq, last_hash,
     stored_count, online, session, presence_at, last_status) = row  # fmt: skip
    return Device(
        device_id=device_id,
        public_key_b64=pub,
        key_id=kid,
        checkpoint=checkpoint,
        lane=lane,
        added_at=added_at,
        last_seen=last_seen,
        last_seq=last_seq,
        last_hash=last_hash,
        stored_count=stored_count,
        online=None if online is None else bool(online),
        session=session,
        presence_at=presence_at,
        last_status=None if last_status is None else json.loads(last_status),
        gaps=tuple(gaps),
    )


def event_of(row: Sequence[Any]) -> StoredEvent:
    return StoredEvent(
        event_id=row[0],
        device_id=row[1],
        checkpoint=row[2],
        lane=row[3],
        seq=row[4],
        type=row[5],
        captured_at=row[6],
        received_at=row[7],
        body=json.loads(row[8]),
        hash=row[9],
        prev_hash=row[10],
    )


def dead_letter_of(row: Sequence[Any]) -> DeadLetter:
    return DeadLetter(
        id=row[0],
        received_at=row[1],
        topic=row[2],
        reason=row[3],
        detail=row[4],
        device_id=row[5],
        payload=bytes(row[6]),
        payload_size=row[7],
        payload_sha256=row[8],
    )


def insert_audit(
    conn: sqlite3.Connection, at: str, actor: str, action: str, subject: str, detail: dict[str, Any]
) -> None:
    """Append a lifecycle action to ``audit_log`` inside the caller's transaction."""
    conn.execute(
        "INSERT INTO audit_log (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)",
        (at, actor, action, subject, json.dumps(detail, sort_keys=True)),
    )


def insert_device(conn: sqlite3.Connection, device: Device) -> None:
    """Register a device and its first signing key inside the caller's transaction.

    Raises :class:`sqlite3.IntegrityError` when the id is taken.
    """
    conn.execute(
        "INSERT INTO devices (device_id, public_key_b64, key_id, checkpoint, lane, added_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (device.device_id, device.public_key_b64, device.key_id, device.checkpoint, device.lane,
         device.added_at),
    )  # fmt: skip
    conn.execute(
        "INSERT INTO device_keys (device_id, key_id, public_key_b64, from_seq, added_at) "
        "VALUES (?, ?, ?, 1, ?)",
        (device.device_id, device.key_id, device.public_key_b64, device.added_at),
    )
