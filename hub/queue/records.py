"""Plain records of the queue, shared by the service, the store and the API; no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hub.queue.policy import Category, State, Stream
from shekara.errors import ShekaraError


class QueueError(ShekaraError):
    """A queue request that the rules refuse; ``code`` is stable for clients and pages."""

    code = "refused"
    status = 409

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.details = details


class NotFound(QueueError):
    """No booking has this reference (or it is not the caller's)."""

    code = "not_found"
    status = 404


class SlotFull(QueueError):
    """The slot has no capacity left for this category."""

    code = "slot_full"


class PlateBusy(QueueError):
    """The tractor or a trailer already holds an active booking."""

    code = "plate_busy"


class Banned(QueueError):
    """The tractor is banned from booking (repeated no-shows)."""

    code = "banned"
    status = 403


class BadRequest(QueueError):
    """The request breaks a rule of form: a plate of no known format, a slot in the past."""

    code = "invalid"
    status = 422


class TooLate(QueueError):
    """Too close to the slot to change the booking."""

    code = "too_late"


class WrongState(QueueError):
    """The booking is not in a state that allows this."""

    code = "wrong_state"


class RateLimited(QueueError):
    """Too many requests from this client or for this phone."""

    code = "rate_limited"
    status = 429


@dataclass(frozen=True, slots=True)
class Plate:
    """A plate as booked: normalised text, the country whose format it fits, the lock key."""

    text: str
    country: str
    key: str  # country + confusion-folded text: equal for every spelling of one vehicle


@dataclass(frozen=True, slots=True)
class Booking:
    """A booking as stored."""

    id: int
    booking: str  # the journal id: SHA-256 of the reference
    checkpoint: str
    direction: str
    category: Category
    slot: str | None  # RFC 3339 UTC start of the hour; None for walk-ins
    stream: Stream
    state: State
    tractor: Plate
    trailers: tuple[Plate, ...]
    driver_name: str
    driver_phone: str
    carrier: str
    created_at: str
    updated_at: str
    hold_expires: str | None = None
    queued_at: str | None = None
    called_at: str | None = None
    lane: str | None = None
    reschedules: int = 0
    driver_changes: int = 0

    @property
    def plate_keys(self) -> tuple[str, ...]:
        """Every plate key the booking locks while active."""
        return (self.tractor.key, *(t.key for t in self.trailers))


@dataclass(frozen=True, slots=True)
class NewBooking:
    """What a hold is made of (the driver's details may still be empty)."""

    booking: str
    checkpoint: str
    direction: str
    category: Category
    slot: str | None
    stream: Stream
    state: State
    tractor: Plate
    trailers: tuple[Plate, ...]
    driver_name: str = ""
    driver_phone: str = ""
    carrier: str = ""
    hold_expires: str | None = None
    queued_at: str | None = None
    client: str = ""


@dataclass(frozen=True, slots=True)
class JournalNote:
    """A journal entry to append, with the booking change in the same transaction."""

    kind: str
    data: dict[str, Any] = field(default_factory=dict)
    cause: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class UnmatchedRead:
    """A plate read that no active booking explains (a truck without a booking)."""

    id: int
    event_id: str
    lane: str
    role: str
    plate: str
    country: str | None
    reason: str
    at: str
