"""The queue journal: every queue state change, hash-chained, and its verifier.

Byte layout of one entry's hash (hex in ``hash``)::

    hash = SHA-256( bytes.fromhex(prev) || JCS(body) )
    body = {"v": 1, "seq": n, "at": RFC 3339 UTC, "kind": ..., "booking": ... | null,
            "data": {...}, "cause": {...}}

JCS is RFC 8785 (:mod:`shekara.jcs`); ``prev`` of the first entry is 64 zeros.
``booking`` is the SHA-256 of the booking reference (a driver holding the reference can
find their own entries; nobody else can read it back).  Plates and phone numbers are
keyed hashes (HMAC-SHA-256 under the hub's journal key), never clear text: the
public can check order and integrity without learning who queued.

:func:`verify` checks two things, offline, from the entries alone:

1. **Integrity**: seq runs 1, 2, 3...; each ``prev`` is the previous ``hash``; each
   ``hash`` is recomputed.  One changed byte breaks it at that entry.
2. **Fair calls**: the queue is replayed (check-ins, skips, removals, the policy and
   capacity in force) and every ``called`` entry must name the truck
   :func:`hub.queue.order.next_to_call` picks at that moment.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hub.queue.order import Waiting, next_to_call, priority_quota
from hub.queue.policy import Category, QueueConfig, Stream
from shekara.errors import ShekaraError
from shekara.jcs import canonical_bytes
from shekara.wire import utc_timestamp

GENESIS = "0" * 64
VERSION = 1
# Entries that take a checked-in truck out of the waiting line.
_LEAVE = frozenset({"called", "cancelled", "no_show", "refused", "cleared", "exited"})


class JournalError(ShekaraError):
    """The journal is not intact, or a call broke the published order."""

    def __init__(self, seq: int, message: str) -> None:
        super().__init__(f"journal entry {seq}: {message}")
        self.seq = seq


@dataclass(frozen=True, slots=True)
class Entry:
    """One journal entry as stored and published."""

    seq: int
    at: str
    kind: str
    booking: str | None
    data: dict[str, Any]
    cause: dict[str, str]
    prev: str
    hash: str

    def body(self) -> dict[str, Any]:
        """The hashed part."""
        return body_of(self.seq, self.at, self.kind, self.booking, self.data, self.cause)

    def to_json(self) -> dict[str, Any]:
        """The published form (one JSON object per entry)."""
        return {**self.body(), "prev": self.prev, "hash": self.hash}

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Entry:
        """An entry from its published form; raises :class:`JournalError` when malformed."""
        try:
            return cls(
                int(obj["seq"]),
                str(obj["at"]),
                str(obj["kind"]),
                obj["booking"],
                dict(obj["data"]),
                dict(obj["cause"]),
                str(obj["prev"]),
                str(obj["hash"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise JournalError(int(obj.get("seq", 0) or 0), f"malformed entry: {exc}") from None


def body_of(
    seq: int, at: str, kind: str, booking: str | None, data: dict[str, Any], cause: dict[str, str]
) -> dict[str, Any]:
    """The hashed body of an entry."""
    return {
        "v": VERSION,
        "seq": seq,
        "at": at,
        "kind": kind,
        "booking": booking,
        "data": data,
        "cause": cause,
    }


def entry_hash(prev: str, body: dict[str, Any]) -> str:
    """SHA-256 over the previous hash's bytes and the body's canonical JSON."""
    return hashlib.sha256(bytes.fromhex(prev) + canonical_bytes(body)).hexdigest()


def booking_id(reference: str) -> str:
    """The journal's id of a booking: SHA-256 of its reference."""
    return hashlib.sha256(reference.encode()).hexdigest()


def keyed(key: bytes, value: str) -> str:
    """A keyed hash of personal data (a plate key, a phone number) for the journal."""
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def read_lines(lines: Iterable[str]) -> Iterator[Entry]:
    """Entries from JSON lines (the export format); blank lines are skipped."""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise JournalError(number, f"line {number} is not JSON: {exc.msg}") from None
        if not isinstance(obj, dict):
            raise JournalError(number, f"line {number} is not a JSON object")
        yield Entry.from_json(obj)


@dataclass(slots=True)
class _Booking:
    direction: str
    category: Category
    slot: datetime | None
    stream: Stream


@dataclass(slots=True)
class Replay:
    """The queue as the journal describes it, rebuilt entry by entry."""

    config: QueueConfig | None = None
    capacity: dict[tuple[str, str, str], int] = field(default_factory=dict)
    bookings: dict[str, _Booking] = field(default_factory=dict)
    waiting: dict[str, Waiting] = field(default_factory=dict)
    priority_calls: dict[tuple[str, datetime], int] = field(default_factory=dict)
    calls: int = 0

    def hour_capacity(self, direction: str, hour: datetime) -> int:
        """Slots in one hour of one direction, all categories."""
        assert self.config is not None
        d = self.config.direction(direction)
        if d is None:
            return 0
        key = utc_timestamp(hour)
        return sum(
            self.capacity.get((direction, c.value, key), d.default_capacity.get(c, 0))
            for c in Category
        )

    def quota_left(self, direction: str) -> dict[datetime, int]:
        """Priority calls each slot hour still allows, for the waiting trucks' slots."""
        assert self.config is not None
        out = {}
        for w in self.waiting.values():
            if w.slot is not None and self.bookings[w.booking].direction == direction:
                quota = priority_quota(
                    self.hour_capacity(direction, w.slot), self.config.priority_share
                )
                out[w.slot] = quota - self.priority_calls.get((direction, w.slot), 0)
        return out

    def expected_call(self, direction: str, now: datetime) -> Waiting | None:
        """Whom the policy calls next in ``direction`` at ``now``."""
        assert self.config is not None
        mine = [w for w in self.waiting.values() if self.bookings[w.booking].direction == direction]
        return next_to_call(
            mine, now, frozenset(self.config.priority_categories), self.quota_left(direction)
        )

    def note_call(self, called: Waiting, direction: str, now: datetime) -> None:
        """Count a call against the slot hour's priority quota where it applies."""
        assert self.config is not None
        if (
            called.stream is Stream.BOOKED
            and called.slot is not None
            and called.slot <= now
            and called.category in self.config.priority_categories
        ):
            key = (direction, called.slot)
            self.priority_calls[key] = self.priority_calls.get(key, 0) + 1
        self.calls += 1

    def apply(self, entry: Entry) -> None:
        """Move the replayed queue along by one entry; a call out of order raises."""
        at = parse_time(entry.at)
        kind, ref, data = entry.kind, entry.booking, entry.data
        if kind == "policy":
            self.config = QueueConfig.model_validate(data["config"])
            return
        if self.config is None:
            raise JournalError(entry.seq, f"{kind} entry before any policy entry")
        if kind == "capacity":
            key = (data["direction"], data["category"], data["hour"])
            self.capacity[key] = int(data["slots"])
            return
        if ref is None:
            return
        if kind in ("held", "booked", "rescheduled"):
            slot = parse_time(data["slot"]) if data.get("slot") else None
            self.bookings[ref] = _Booking(
                data["direction"], Category(data["category"]), slot, Stream(data["stream"])
            )
        elif kind == "walk_in":
            self.bookings[ref] = _Booking(
                data["direction"], Category(data["category"]), None, Stream.LIVE
            )
            self.waiting[ref] = Waiting(ref, Stream.LIVE, Category(data["category"]), None, at)
        elif kind == "arrived":
            booking = self._booking(entry)
            booking.stream = Stream(data["stream"])
            slot = booking.slot if booking.stream is Stream.BOOKED else None
            self.waiting[ref] = Waiting(ref, booking.stream, booking.category, slot, at)
        elif kind == "skipped":
            booking = self._booking(entry)
            booking.stream = Stream.LIVE
            self.waiting[ref] = Waiting(ref, Stream.LIVE, booking.category, None, at)
        if kind == "called":
            booking = self._booking(entry)
            expected = self.expected_call(booking.direction, at)
            if expected is None or expected.booking != ref:
                want = expected.booking[:12] if expected else "nobody"
                raise JournalError(
                    entry.seq, f"called {ref[:12]} out of order: the policy called {want}"
                )
            self.note_call(expected, booking.direction, at)
        if kind in _LEAVE:
            self.waiting.pop(ref, None)

    def _booking(self, entry: Entry) -> _Booking:
        assert entry.booking is not None
        booking = self.bookings.get(entry.booking)
        if booking is None:
            raise JournalError(entry.seq, f"{entry.kind} of a booking never booked")
        return booking


@dataclass(frozen=True, slots=True)
class Verdict:
    """What :func:`verify` found."""

    entries: int
    calls: int
    head: str  # hash of the last entry (GENESIS when empty)


def verify(entries: Iterable[Entry]) -> Verdict:
    """Check integrity and the order of every call; raises :class:`JournalError`."""
    prev, expected_seq = GENESIS, 1
    replay = Replay()
    for entry in entries:
        if entry.seq != expected_seq:
            raise JournalError(entry.seq, f"expected entry {expected_seq}, found {entry.seq}")
        if entry.prev != prev:
            raise JournalError(entry.seq, "prev does not match the previous entry's hash")
        if entry_hash(entry.prev, entry.body()) != entry.hash:
            raise JournalError(entry.seq, "hash does not match the entry's contents")
        try:
            replay.apply(entry)
        except (KeyError, ValueError, TypeError) as exc:
            raise JournalError(entry.seq, f"malformed {entry.kind} entry: {exc}") from None
        prev, expected_seq = entry.hash, expected_seq + 1
    return Verdict(expected_seq - 1, replay.calls, prev)


def parse_time(text: str) -> datetime:
    """An RFC 3339 UTC time as written in the journal."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError(f"time without zone: {text!r}")
    return value
