"""Plain records the store reads and writes; no SQL here, no I/O.

Rows going in are tuples (``NamedTuple``) so a batch goes to ``executemany`` as is;
rows coming out are frozen dataclasses the API and the ingest pipeline share.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from shekara.errors import ShekaraError


class StoreError(ShekaraError):
    """The database cannot be used (newer schema, unreadable file...)."""


class DeviceExists(ShekaraError):
    """A device with this id is already registered."""


@dataclass(frozen=True, slots=True)
class Gap:
    """Sequence numbers ``from_seq..to_seq`` (inclusive) not received yet."""

    from_seq: int
    to_seq: int
    opened_at: float  # Unix seconds, hub clock; drives the resend schedule


@dataclass(frozen=True, slots=True)
class Device:
    """A registered device and what the hub knows of it."""

    device_id: str
    public_key_b64: str
    key_id: str
    checkpoint: str
    lane: str
    added_at: str
    last_seen: str | None = None
    last_seq: int = 0
    last_hash: str | None = None
    stored_count: int = 0
    online: bool | None = None
    session: int | None = None
    presence_at: str | None = None
    last_status: dict[str, Any] | None = None
    gaps: tuple[Gap, ...] = ()


@dataclass(frozen=True, slots=True)
class ChainLink:
    """What the chain check needs of one stored event."""

    event_id: str
    hash: str
    prev_hash: str


class NewEvent(NamedTuple):
    """A verified event to insert (column order of the INSERT)."""

    event_id: str
    device_id: str
    checkpoint: str
    lane: str
    seq: int
    type: str
    captured_at: str
    received_at: str
    body_json: str
    hash: str
    prev_hash: str
    payload: bytes


class NewEvidence(NamedTuple):
    """An evidence crop to keep (column order of the INSERT)."""

    sha256: str
    device_id: str
    media_type: str
    received_at: str
    data: bytes


class NewDeadLetter(NamedTuple):
    """A rejected message to keep (column order of the INSERT)."""

    received_at: str
    topic: str
    reason: str
    detail: str
    device_id: str | None
    payload: bytes  # a prefix, at most the store's cap
    payload_size: int  # of the whole payload as received
    payload_sha256: str  # of the whole payload as received


@dataclass(slots=True)
class DeviceUpdate:
    """Per-device changes of one batch."""

    last_seq: int
    last_hash: str | None
    last_seen: str
    stored_delta: int = 0
    last_status_json: str | None = None


@dataclass(frozen=True, slots=True)
class PresenceUpdate:
    """A verified presence message that is not stale."""

    online: bool
    session: int
    at: str
    last_seen: str | None


@dataclass(frozen=True, slots=True)
class DeviceKey:
    """A signing key of a device: it signs the device's events from ``from_seq`` on."""

    device_id: str
    key_id: str
    public_key_b64: str
    from_seq: int
    added_at: str


@dataclass(slots=True)
class WriteBatch:
    """Everything one transaction writes."""

    events: list[NewEvent] = field(default_factory=list)
    dead_letters: list[NewDeadLetter] = field(default_factory=list)
    devices: dict[str, DeviceUpdate] = field(default_factory=dict)
    gaps: dict[str, list[Gap]] = field(default_factory=dict)  # replaces the device's gaps
    presence: dict[str, PresenceUpdate] = field(default_factory=dict)
    evidence: list[NewEvidence] = field(default_factory=list)
    keys: list[DeviceKey] = field(default_factory=list)  # rotations, audited as they land

    def __bool__(self) -> bool:
        return bool(self.events or self.dead_letters or self.devices or self.gaps or self.presence
                    or self.evidence or self.keys)  # fmt: skip


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event as stored (always verified: nothing else is stored)."""

    event_id: str
    device_id: str
    checkpoint: str
    lane: str
    seq: int
    type: str
    captured_at: str
    received_at: str
    body: dict[str, Any]
    hash: str
    prev_hash: str


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A rejected message."""

    id: int
    received_at: str
    topic: str
    reason: str
    detail: str
    device_id: str | None
    payload: bytes
    payload_size: int
    payload_sha256: str


@dataclass(frozen=True, slots=True)
class EventFilter:
    """A query on stored events; ``None`` means no condition.

    ``since_received`` (RFC 3339) keeps events the hub stored at or after it;
    ``after_event`` keeps events stored after that event (a polling cursor).
    """

    checkpoint: str | None = None
    lane: str | None = None
    type: str | None = None
    device_id: str | None = None
    since_received: str | None = None
    after_event: str | None = None
    limit: int = 100
    descending: bool = False
