"""What became of one MQTT message, and the running totals of a hub process."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum


class Kind(StrEnum):
    """The fate of a message."""

    STORED = "stored"
    DUPLICATE = "duplicate"  # the same event again (QoS 1 redelivery, resend): not stored twice
    DEAD_LETTER = "dead_letter"
    PRESENCE = "presence"  # a presence message applied
    STALE = "stale"  # a presence message older than what is known: ignored
    EVIDENCE = "evidence"  # an evidence crop kept


class Reason(StrEnum):
    """Stable dead-letter reasons (the wire errors' ``reason`` words and the hub's own)."""

    OVERSIZED = "oversized"
    BAD_TOPIC = "bad_topic"
    MALFORMED_JSON = "malformed_json"
    UNSUPPORTED_VERSION = "unsupported_version"
    INVALID_ENVELOPE = "invalid_envelope"
    NOT_CANONICAL = "not_canonical"
    TOPIC_MISMATCH = "topic_mismatch"
    UNKNOWN_DEVICE = "unknown_device"
    WRONG_LANE = "wrong_lane"
    DEVICE_REVOKED = "device_revoked"  # added with schema V8; see docs/security.md
    BAD_SIGNATURE = "bad_signature"
    REPLAY = "replay"
    CHAIN_BREAK = "chain_break"
    NOT_AN_IMAGE = "not_an_image"  # an evidence message that is not a JPEG
    UNREFERENCED_EVIDENCE = "unreferenced_evidence"  # no signed event names its hash
    INTERNAL_ERROR = "internal_error"


@dataclass(frozen=True, slots=True)
class Outcome:
    """The result of processing one message."""

    kind: Kind
    reason: str | None = None
    detail: str | None = None
    device_id: str | None = None
    seq: int | None = None
    event_id: str | None = None


@dataclass(slots=True)
class Counters:
    """Outcomes since the process started (committed ones only)."""

    stored: int = 0
    duplicates: int = 0
    dead_letters: int = 0
    presence: int = 0
    stale: int = 0
    evidence: int = 0
    batches: int = 0
    by_reason: Counter[str] = field(default_factory=Counter)

    def count(self, outcome: Outcome) -> None:
        """Add one committed outcome."""
        if outcome.kind is Kind.STORED:
            self.stored += 1
        elif outcome.kind is Kind.DUPLICATE:
            self.duplicates += 1
        elif outcome.kind is Kind.DEAD_LETTER:
            self.dead_letters += 1
            self.by_reason[outcome.reason or "?"] += 1
        elif outcome.kind is Kind.PRESENCE:
            self.presence += 1
        elif outcome.kind is Kind.EVIDENCE:
            self.evidence += 1
        else:
            self.stale += 1


class Rejected(Exception):
    """A message fails a check; it becomes a dead letter with ``reason``."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
