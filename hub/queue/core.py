"""The queue's core: its clock, policy and capacity, the line in call order, housekeeping.

:class:`QueueCore` holds what the booking desk (:mod:`hub.queue.booking`) and the lanes
(:mod:`hub.queue.lanes`) share; :class:`hub.queue.service.QueueService` is all three.
Every state change appends a journal entry in the same transaction
(:mod:`hub.queue.journal`), and runs under one lock (:func:`serialised`).

References are 80 random bits in Crockford base32 (``7KQ2-MZ4X-...``): at a million
guesses a second, finding any one of a million live bookings takes about 38,000
years; and they are easy to read out over a phone.  Only their SHA-256 is stored.
"""

from __future__ import annotations

import functools
import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, ParamSpec, TypeVar

from hub.config import HubSettings
from hub.queue.journal import keyed, parse_time
from hub.queue.order import Waiting, next_to_call, priority_quota
from hub.queue.plates import booking_plate
from hub.queue.policy import Category, Direction, QueueConfig, State, Stream
from hub.queue.records import (
    BadRequest,
    Booking,
    JournalNote,
    NotFound,
    Plate,
    PlateBusy,
    TooLate,
    WrongState,
)
from hub.store.queue_sql import QueueStore
from shekara.wire import utc_timestamp

log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_READ_AS = str.maketrans("OILU", "0111")
REF_CHARS = 16  # 80 bits


def journal_key(settings: HubSettings, store: QueueStore) -> bytes:
    """The journal's HMAC key: from the settings, else one kept in the database.

    Production refuses to start without one (:meth:`HubSettings.production_problems`);
    a development hub makes one on first start so hashes stay stable across restarts.
    """
    if settings.journal_key is not None:
        return settings.journal_key.get_secret_value().encode()
    kept = store.meta("journal_key_dev")
    if kept is None:
        kept = secrets.token_hex(32)
        store.set_meta("journal_key_dev", kept)
    return kept.encode()


def new_reference() -> str:
    """A fresh booking reference, grouped by four."""
    raw = "".join(secrets.choice(CROCKFORD) for _ in range(REF_CHARS))
    return "-".join(raw[i : i + 4] for i in range(0, REF_CHARS, 4))


def clean_reference(text: str) -> str:
    """A reference as typed (any case, spaces, O for 0) in its canonical form."""
    raw = "".join(c for c in text.upper() if c.isalnum()).translate(_READ_AS)
    if len(raw) != REF_CHARS or any(c not in CROCKFORD for c in raw):
        raise NotFound("no booking has this reference")
    return "-".join(raw[i : i + 4] for i in range(0, REF_CHARS, 4))


def serialised(method: Callable[P, R]) -> Callable[P, R]:
    """Run a state-changing method under the service's lock.

    The call order is computed from the state and journalled in one step: without
    the lock, an arrival journalled between the two would make a fair call look out
    of order to the verifier.
    """

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        service = args[0]
        assert isinstance(service, QueueCore)
        with service.lock:
            return method(*args, **kwargs)

    return wrapper


@dataclass(frozen=True, slots=True)
class SlotView:
    """One hour of one category: capacity, taken, free."""

    hour: datetime  # UTC
    category: Category
    capacity: int
    taken: int

    @property
    def free(self) -> int:
        """Slots still bookable."""
        return max(0, self.capacity - self.taken)


@dataclass(frozen=True, slots=True)
class Status:
    """What the driver's page shows."""

    booking: Booking
    position: int | None  # 1 = next to be called; None when not waiting
    estimated_call: datetime | None
    waiting_total: int


class QueueCore:
    """What the queue's parts share: store, rules, clock, lock, the line, housekeeping."""

    def __init__(
        self,
        store: QueueStore,
        config: QueueConfig,
        journal_key: bytes,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.config = config
        self._key = journal_key
        self._clock = clock
        self.lock = threading.RLock()

    # --- time ---------------------------------------------------------------------

    def now(self) -> datetime:
        """The hub's clock (UTC)."""
        return self._clock()

    def local_day_hours(self, day: date) -> list[datetime]:
        """The UTC starts of the 24 local hours of ``day`` at the checkpoint."""
        start = datetime.combine(day, time(0), tzinfo=self.config.zone).astimezone(UTC)
        return [start + timedelta(hours=h) for h in range(24)]

    # --- policy and capacity ------------------------------------------------------

    @serialised
    def publish_policy(self) -> None:
        """Journal the policy in force when it differs from the last one journalled."""
        data = {"config": self.config.model_dump(mode="json")}
        last = self.store.last_entry("policy")
        if last is None or last.data != data:
            self.store.append(
                utc_timestamp(self.now()), JournalNote("policy", data, system_cause())
            )

    def capacity(self, direction: str, category: Category, hour: datetime) -> int:
        """Slots of ``category`` in ``hour`` (UTC start) for ``direction``."""
        d = self._direction(direction)
        stamp = utc_timestamp(hour)
        overrides = self.store.capacity_overrides(direction, stamp, stamp)
        return overrides.get((category.value, stamp), d.default_capacity.get(category, 0))

    @serialised
    def set_capacity(
        self, direction: str, category: Category, hour: datetime, slots: int, officer: str
    ) -> None:
        """An operator sets one hour's slots for one category."""
        self._direction(direction)
        if slots < 0 or slots > 10_000:
            raise BadRequest("slots must be between 0 and 10000", field="slots")
        hour = hour_start(hour)
        data = {"direction": direction, "category": category.value,
                "hour": utc_timestamp(hour), "slots": slots}  # fmt: skip
        self.store.set_capacity(
            direction, category.value, utc_timestamp(hour), slots, utc_timestamp(self.now()),
            JournalNote("capacity", data, self._officer(officer)),
        )  # fmt: skip

    def slots(self, direction: str, hours: list[datetime]) -> list[SlotView]:
        """Capacity and use of every category in ``hours``."""
        d = self._direction(direction)
        if not hours:
            return []
        first, last = utc_timestamp(hours[0]), utc_timestamp(hours[-1])
        overrides = self.store.capacity_overrides(direction, first, last)
        used = self.store.slot_usage(direction, first, last, utc_timestamp(self.now()))
        out = []
        for hour in hours:
            stamp = utc_timestamp(hour)
            for c in Category:
                cap = overrides.get((c.value, stamp), d.default_capacity.get(c, 0))
                out.append(SlotView(hour, c, cap, used.get((c.value, stamp), 0)))
        return out

    # --- the line -------------------------------------------------------------------

    def waiting_order(self, direction: str, limit: int | None = None) -> list[Waiting]:
        """Checked-in trucks of ``direction`` in the order the policy will call them."""
        waiting = {w.booking: w for w in self._waiting(direction)}
        quota = self._quota_left(direction, list(waiting.values()))
        now = self.now()
        priority = frozenset(self.config.priority_categories)
        out: list[Waiting] = []
        while waiting and (limit is None or len(out) < limit):
            nxt = next_to_call(waiting.values(), now, priority, quota)
            assert nxt is not None
            if nxt.slot is not None and nxt.category in priority and nxt.slot <= now:
                quota[nxt.slot] = quota.get(nxt.slot, 0) - 1
            out.append(nxt)
            del waiting[nxt.booking]
        return out

    def _waiting(self, direction: str) -> list[Waiting]:
        return [
            Waiting(
                b.booking,
                b.stream,
                b.category,
                parse_stamp(b.slot) if b.slot and b.stream is Stream.BOOKED else None,
                parse_stamp(b.queued_at or b.updated_at),
            )
            for b in self.store.in_states([State.ARRIVED], direction)
        ]

    def _quota_left(self, direction: str, waiting: list[Waiting]) -> dict[datetime, int]:
        out = {}
        for slot in {w.slot for w in waiting if w.slot is not None}:
            total = sum(self.capacity(direction, c, slot) for c in Category)
            quota = priority_quota(total, self.config.priority_share)
            out[slot] = quota - self._priority_calls(direction, slot)
        return out

    def _priority_calls(self, direction: str, slot: datetime) -> int:
        return self.store.count_priority_calls(
            direction, utc_timestamp(slot), [c.value for c in self.config.priority_categories]
        )

    # --- housekeeping ---------------------------------------------------------------

    @serialised
    def sweep(self) -> int:
        """Expire unfinished holds; mark no-shows and ban repeat offenders.  Returns changes."""
        now = self.now()
        stamp = utc_timestamp(now)
        changed = 0
        for held in self.store.expired_holds(stamp):
            try:
                self.store.update_booking(
                    held.booking, [State.HELD], {"state": State.EXPIRED}, stamp,
                    JournalNote("expired", {}, system_cause("hold timed out")),
                )  # fmt: skip
                changed += 1
            except WrongState:
                pass  # completed or expired by another request meanwhile
        gone = utc_timestamp(now - timedelta(hours=self.config.exit_timeout_hours))
        for decided in self.store.decided_before(gone):
            self.store.update_booking(
                decided.booking, [decided.state], {"state": State.EXITED}, stamp,
                JournalNote("exited", {}, system_cause("no exit read")),
            )  # fmt: skip
            changed += 1
        late = now - timedelta(hours=self.config.arrive_after_hours)
        for missed in self.store.missed(utc_timestamp(late)):
            try:
                self.store.update_booking(
                    missed.booking, [State.BOOKED], {"state": State.NO_SHOW}, stamp,
                    JournalNote("no_show", {}, system_cause("not checked in by the window's end")),
                )  # fmt: skip
            except WrongState:
                continue
            changed += 1
            self._maybe_ban(missed, now)
        return changed

    def _maybe_ban(self, booking: Booking, now: datetime) -> None:
        since = utc_timestamp(now - timedelta(days=self.config.no_show_window_days))
        count = self.store.count_in_state(booking.tractor.key, State.NO_SHOW, since)
        if count >= self.config.no_show_limit and self.config.ban_days:
            until = utc_timestamp(now + timedelta(days=self.config.ban_days))
            reason = f"{count} no-shows in {self.config.no_show_window_days} days"
            self.store.add_ban(
                booking.tractor.key, until, reason, utc_timestamp(now),
                JournalNote("banned", {"plate": keyed(self._key, booking.tractor.key),
                                       "until": until, "reason": reason}, system_cause(reason)),
            )  # fmt: skip

    # --- helpers --------------------------------------------------------------------

    def get(self, booking: str) -> Booking:
        """A booking by its journal id; raises :class:`NotFound`."""
        return self._get(booking)

    def _get(self, ref_id: str) -> Booking:
        found = self.store.get(ref_id)
        if found is None:
            raise NotFound("no booking has this reference")
        return found

    def config_direction(self, direction: str) -> Direction:
        """The direction with this id; raises :class:`BadRequest` naming the known ones."""
        return self._direction(direction)

    def _direction(self, direction: str) -> Direction:
        d = self.config.direction(direction)
        if d is None:
            known = ", ".join(x.id for x in self.config.directions)
            raise BadRequest(f"unknown direction {direction!r} (known: {known})", field="direction")
        return d

    def _check_lane(self, direction: str, lane: str) -> None:
        d = self._direction(direction)
        if lane not in d.entry_lanes:
            raise BadRequest(f"{lane!r} is not an entry lane of {direction}", field="lane")

    def _check_cutoff(self, booking: Booking) -> None:
        if booking.slot is None:
            return
        cutoff = parse_stamp(booking.slot) - timedelta(hours=self.config.reschedule_cutoff_hours)
        if self.now() > cutoff:
            raise TooLate(
                f"changes close {self.config.reschedule_cutoff_hours:g} h before the slot"
            )

    def _plates(self, tractor: tuple[str, str], trailers: list[tuple[str, str]]) -> list[Plate]:
        if len(trailers) > 3:
            raise BadRequest("at most three trailers", field="trailers")
        plates = [booking_plate(*tractor), *(booking_plate(*t) for t in trailers)]
        keys = [p.key for p in plates]
        if len(set(keys)) != len(keys):
            raise PlateBusy("the same plate is given twice")
        return plates

    def _hour_total(self, booking: Booking) -> int:
        hour = hour_start(self.now())
        return sum(self.capacity(booking.direction, c, hour) for c in Category)

    def _slot_data(
        self, direction: str, category: Category, slot: datetime | None, stream: Stream
    ) -> dict[str, Any]:
        return {"direction": direction, "category": category.value,
                "slot": utc_timestamp(slot) if slot else None, "stream": stream.value}  # fmt: skip

    def _officer(self, officer: str) -> dict[str, str]:
        return {"officer": keyed(self._key, officer)}


def system_cause(why: str = "") -> dict[str, str]:
    """The cause of a change the rules made (not a lane read, not an officer)."""
    return {"system": why}


def hour_start(moment: datetime) -> datetime:
    """The UTC start of the hour ``moment`` falls in; a naive time is refused."""
    if moment.tzinfo is None:
        raise BadRequest("times need a zone", field="slot")
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def parse_stamp(stamp: str | None) -> datetime:
    """A stored RFC 3339 time (which must be there)."""
    assert stamp is not None
    return parse_time(stamp)


def clean_person(name: str, phone: str, carrier: str) -> tuple[str, str, str]:
    """The driver's details trimmed, the phone as +digits; :class:`BadRequest` names the field."""
    name, carrier = name.strip(), carrier.strip()
    digits = "".join(c for c in phone if c.isdigit())
    if not 2 <= len(name) <= 100:
        raise BadRequest("the driver's name must be 2 to 100 characters", field="driver_name")
    if not 8 <= len(digits) <= 15:
        raise BadRequest("the phone number needs 8 to 15 digits", field="phone")
    if len(carrier) > 100:
        raise BadRequest("the carrier's name is at most 100 characters", field="carrier")
    return name, "+" + digits, carrier


def clean_reason(reason: str) -> str:
    """An officer's reason, trimmed; 3 to 200 characters."""
    text = reason.strip()
    if not 3 <= len(text) <= 200:
        raise BadRequest("a reason of 3 to 200 characters is required", field="reason")
    return text
