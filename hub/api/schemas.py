"""Response models of the HTTP API (what /docs shows)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from hub.store import Device


class EventOut(BaseModel):
    """A stored event; only events whose signature and chain verified are stored."""

    event_id: str = Field(description="ULID chosen by the device")
    device_id: str
    checkpoint: str
    lane: str
    seq: int = Field(description="Per-device sequence number")
    type: str = Field(description="Event type, e.g. 'barcode.read'")
    captured_at: str = Field(description="When the device captured it (device clock)")
    received_at: str = Field(
        description="When the hub received it from the broker (hub clock, ms), before verifying"
    )
    hash: str = Field(description="Chain hash of this event")
    prev_hash: str = Field(description="Chain hash of the device's previous event")
    verified: Literal[True] = Field(True, description="Always true: nothing else is stored")
    body: dict[str, Any] = Field(description="Type-specific content, as signed")


class EventPage(BaseModel):
    """A page of events."""

    events: list[EventOut]
    next_since: str | None = Field(
        description="In ascending order: pass as since= to get the events stored after "
        "this page (the last event_id); null when the page is empty or descending"
    )


class DeviceOut(BaseModel):
    """A registered device and its state."""

    device_id: str
    checkpoint: str
    lane: str
    key_id: str = Field(description="Key id of the registered public key")
    public_key_b64: str = Field(description="Raw Ed25519 public key, base64")
    added_at: str
    last_seen: str | None = Field(description="Last verified event or birth message")
    state: Literal["online", "offline", "unknown"] = Field(
        description="From the latest birth / last will (unknown before any)"
    )
    session: int | None = Field(description="Connection counter of that presence message")
    last_seq: int = Field(description="Highest seq stored")
    stored: int = Field(description="Events stored")
    gaps: list[tuple[int, int]] = Field(description="Missing seq ranges [from, to], inclusive")
    missing: int = Field(description="Seqs below last_seq not received")
    last_status: dict[str, Any] | None = Field(description="Body of the latest device.status")

    @classmethod
    def of(cls, d: Device) -> DeviceOut:
        """The API view of a stored device."""
        state: Literal["online", "offline", "unknown"] = "unknown"
        if d.online is not None:
            state = "online" if d.online else "offline"
        return cls(
            device_id=d.device_id,
            checkpoint=d.checkpoint,
            lane=d.lane,
            key_id=d.key_id,
            public_key_b64=d.public_key_b64,
            added_at=d.added_at,
            last_seen=d.last_seen,
            state=state,
            session=d.session,
            last_seq=d.last_seq,
            stored=d.stored_count,
            gaps=[(g.from_seq, g.to_seq) for g in d.gaps],
            missing=sum(g.to_seq - g.from_seq + 1 for g in d.gaps),
            last_status=d.last_status,
        )


class DeadLetterOut(BaseModel):
    """A rejected message."""

    id: int
    received_at: str
    topic: str
    reason: str = Field(description="Stable reason word, e.g. 'bad_signature'")
    detail: str = Field(description="What exactly was wrong")
    device_id: str | None = Field(description="The device the topic names, if it parsed")
    size: int = Field(description="Payload size as received")
    sha256: str = Field(description="SHA-256 of the whole payload as received")
    stored_bytes: int = Field(description="Bytes of the payload kept (a prefix)")
    payload_preview_b64: str = Field(description="Base64 of the first preview_bytes kept")


class MqttHealth(BaseModel):
    """The ingest worker's state."""

    enabled: bool = Field(description="False when the hub serves the API only")
    connected: bool
    broker: str
    queue_depth: int = Field(description="Received, not yet committed")
    resends_sent: int


class CounterOut(BaseModel):
    """Outcomes since this process started."""

    stored: int
    duplicates: int
    dead_letters: int
    presence: int
    stale: int
    batches: int
    dead_letters_by_reason: dict[str, int]


class TotalsOut(BaseModel):
    """What the database holds."""

    devices: int
    events: int
    dead_letters: int


class Health(BaseModel):
    """Liveness and a summary."""

    status: Literal["ok", "degraded", "error"]
    db: str = Field(description="'ok' or the error")
    mqtt: MqttHealth
    counters: CounterOut
    totals: TotalsOut | None
