"""The electronic queue: booking rules, lane-driven states, officer calls; journalled.

Every rule of the issue lives here, on top of :class:`~hub.store.queue_sql.QueueStore`
(atomic checks) and :mod:`hub.queue.order` (who is called next).  Every state change
appends a journal entry in the same transaction (:mod:`hub.queue.journal`).

References are 80 random bits in Crockford base32 (``7KQ2-MZ4X-...``): unguessable
(with the rate limits, guessing one takes longer than the booking lives) and easy to
read out over a phone; only their SHA-256 is stored.
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
from hub.queue.journal import booking_id, keyed, parse_time
from hub.queue.order import Waiting, next_to_call, priority_quota
from hub.queue.plates import booking_plate
from hub.queue.policy import Category, Direction, QueueConfig, State, Stream
from hub.queue.records import (
    BadRequest,
    Booking,
    JournalNote,
    NewBooking,
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
        assert isinstance(service, QueueService)
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


class QueueService:
    """The queue of one checkpoint."""

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
            self.store.append(utc_timestamp(self.now()), JournalNote("policy", data, _system()))

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
        hour = _hour(hour)
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

    # --- booking ------------------------------------------------------------------

    @serialised
    def hold(
        self,
        direction: str,
        category: Category,
        slot: datetime,
        tractor: tuple[str, str],
        trailers: list[tuple[str, str]],
        client: str = "",
    ) -> tuple[str, Booking]:
        """Hold a slot for :attr:`QueueConfig.hold_minutes`; returns (reference, booking)."""
        self.sweep()
        self._direction(direction)
        now = self.now()
        slot = _hour(slot)
        if slot < _hour(now):
            raise BadRequest("the slot is in the past", field="slot")
        if slot > now + timedelta(days=self.config.booking_horizon_days):
            raise BadRequest(
                f"slots open {self.config.booking_horizon_days} days ahead", field="slot"
            )
        plates = self._plates(tractor, trailers)
        reference = new_reference()
        ref_id = booking_id(reference)
        expires = now + timedelta(minutes=self.config.hold_minutes)
        new = NewBooking(
            booking=ref_id, checkpoint=self.config.checkpoint, direction=direction,
            category=category, slot=utc_timestamp(slot), stream=Stream.BOOKED,
            state=State.HELD, tractor=plates[0], trailers=tuple(plates[1:]),
            hold_expires=utc_timestamp(expires), client=client,
        )  # fmt: skip
        note = JournalNote(
            "held",
            {**self._slot_data(direction, category, slot, Stream.BOOKED),
             "plates": [keyed(self._key, p.key) for p in plates],
             "expires": utc_timestamp(expires)},
            {"driver": ""},
        )  # fmt: skip
        capacity = self.capacity(direction, category, slot)
        booking = self.store.insert_booking(new, capacity, utc_timestamp(now), note)
        return reference, booking

    @serialised
    def complete(self, reference: str, driver_name: str, phone: str, carrier: str) -> Booking:
        """Turn a hold into a booking with the driver's details."""
        self.sweep()
        name, phone, carrier = _person(driver_name, phone, carrier)
        ref_id = booking_id(clean_reference(reference))
        current = self._get(ref_id)
        if current.state is State.EXPIRED:
            raise WrongState("the hold expired; book again", state="expired")
        changes = {"state": State.BOOKED, "driver_name": name, "driver_phone": phone,
                   "carrier": carrier, "hold_expires": None}  # fmt: skip
        note = JournalNote(
            "booked",
            {**self._slot_data(current.direction, current.category,
                               _parse(current.slot), Stream.BOOKED),
             "phone": keyed(self._key, phone)},
            {"driver": ""},
        )  # fmt: skip
        return self.store.update_booking(
            ref_id, [State.HELD], changes, utc_timestamp(self.now()), note
        )

    @serialised
    def book(
        self,
        direction: str,
        category: Category,
        slot: datetime,
        tractor: tuple[str, str],
        trailers: list[tuple[str, str]],
        driver_name: str,
        phone: str,
        carrier: str,
        client: str = "",
    ) -> tuple[str, Booking]:
        """Hold and complete in one step (the REST API's single call)."""
        _person(driver_name, phone, carrier)  # refuse bad details before taking a slot
        reference, _ = self.hold(direction, category, slot, tractor, trailers, client)
        return reference, self.complete(reference, driver_name, phone, carrier)

    @serialised
    def walk_in(
        self,
        direction: str,
        category: Category,
        tractor: tuple[str, str],
        trailers: list[tuple[str, str]],
        driver_name: str,
        phone: str,
        carrier: str,
        officer: str,
    ) -> tuple[str, Booking]:
        """Register a truck without a booking at the waiting zone: the live stream."""
        self._direction(direction)
        name, phone, carrier = _person(driver_name, phone, carrier)
        plates = self._plates(tractor, trailers)
        reference = new_reference()
        now = utc_timestamp(self.now())
        new = NewBooking(
            booking=booking_id(reference), checkpoint=self.config.checkpoint,
            direction=direction, category=category, slot=None, stream=Stream.LIVE,
            state=State.ARRIVED, tractor=plates[0], trailers=tuple(plates[1:]),
            driver_name=name, driver_phone=phone, carrier=carrier, queued_at=now,
        )  # fmt: skip
        note = JournalNote(
            "walk_in",
            {**self._slot_data(direction, category, None, Stream.LIVE),
             "plates": [keyed(self._key, p.key) for p in plates],
             "phone": keyed(self._key, phone)},
            self._officer(officer),
        )  # fmt: skip
        booking = self.store.insert_booking(new, None, now, note)
        return reference, booking

    @serialised
    def cancel(self, reference: str) -> Booking:
        """The driver cancels; refused within the reschedule cutoff of the slot."""
        ref_id = booking_id(clean_reference(reference))
        current = self._get(ref_id)
        if current.state in (State.BOOKED, State.HELD):
            self._check_cutoff(current)
        note = JournalNote("cancelled", {}, {"driver": ""})
        return self.store.update_booking(
            ref_id, [State.HELD, State.BOOKED, State.ARRIVED], {"state": State.CANCELLED},
            utc_timestamp(self.now()), note,
        )  # fmt: skip

    @serialised
    def reschedule(self, reference: str, slot: datetime) -> Booking:
        """Move a booking to another hour; the plates cannot change, the slot can."""
        ref_id = booking_id(clean_reference(reference))
        current = self._get(ref_id)
        if current.state is not State.BOOKED:
            raise WrongState(f"a {current.state.value} booking cannot be moved")
        self._check_cutoff(current)
        now = self.now()
        slot = _hour(slot)
        if slot < _hour(now) + timedelta(hours=self.config.reschedule_cutoff_hours):
            raise TooLate("the new slot is too close", field="slot")
        if slot > now + timedelta(days=self.config.booking_horizon_days):
            raise BadRequest(f"slots open {self.config.booking_horizon_days} days ahead")
        note = JournalNote(
            "rescheduled",
            self._slot_data(current.direction, current.category, slot, Stream.BOOKED),
            {"driver": ""},
        )
        return self.store.update_booking(
            ref_id, [State.BOOKED],
            {"slot": utc_timestamp(slot), "reschedules": current.reschedules + 1},
            utc_timestamp(now), note,
            capacity=self.capacity(current.direction, current.category, slot),
        )  # fmt: skip

    @serialised
    def change_driver(self, reference: str, driver_name: str, phone: str) -> Booking:
        """Hand the booking to another driver (the truck stays); counted, see docs/queue.md."""
        ref_id = booking_id(clean_reference(reference))
        current = self._get(ref_id)
        name, phone, _ = _person(driver_name, phone, current.carrier)
        note = JournalNote("driver_changed", {"phone": keyed(self._key, phone)}, {"driver": ""})
        return self.store.update_booking(
            ref_id, [State.BOOKED],
            {"driver_name": name, "driver_phone": phone,
             "driver_changes": current.driver_changes + 1},
            utc_timestamp(self.now()), note,
        )  # fmt: skip

    def status(self, reference: str) -> Status:
        """A booking with its queue position and estimated call time."""
        ref_id = booking_id(clean_reference(reference))
        booking = self._get(ref_id)
        line = self.waiting_order(booking.direction)
        ids = [w.booking for w in line]
        position = ids.index(ref_id) + 1 if ref_id in ids else None
        eta = None
        if position is not None:
            eta = self.now() + timedelta(hours=position / max(1, self._hour_total(booking)))
        elif booking.state in (State.BOOKED, State.HELD) and booking.slot:
            eta = _parse(booking.slot)
        return Status(booking, position, eta, len(line))

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
                _parse(b.slot) if b.slot and b.stream is Stream.BOOKED else None,
                _parse(b.queued_at or b.updated_at),
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

    @serialised
    def call_next(self, direction: str, lane: str, officer: str | None) -> Booking | None:
        """Call the truck the policy picks to ``lane``; None when nobody waits."""
        self._check_lane(direction, lane)
        line = self.waiting_order(direction, limit=1)
        if not line:
            return None
        head = line[0]
        now = utc_timestamp(self.now())
        cause = self._officer(officer) if officer else _system("lane free")
        note = JournalNote("called", {"lane": lane, "direction": direction}, cause)
        return self.store.update_booking(
            head.booking, [State.ARRIVED], {"state": State.CALLED, "called_at": now, "lane": lane},
            now, note,
        )  # fmt: skip

    @serialised
    def skip(self, booking: str, reason: str, officer: str) -> Booking:
        """An officer passes over a waiting truck; it joins the end of the live stream."""
        reason = _reason(reason)
        now = utc_timestamp(self.now())
        note = JournalNote("skipped", {"reason": reason}, self._officer(officer))
        return self.store.update_booking(
            booking, [State.ARRIVED], {"stream": Stream.LIVE, "queued_at": now}, now, note
        )

    @serialised
    def inspect(self, booking: str, officer: str) -> Booking:
        """Send a truck at control to inspection."""
        note = JournalNote("inspection", {}, self._officer(officer))
        return self.store.update_booking(
            booking, [State.CALLED, State.AT_CONTROL], {"state": State.INSPECTION},
            utc_timestamp(self.now()), note,
        )  # fmt: skip

    @serialised
    def decide(self, booking: str, cleared: bool, reason: str, officer: str) -> Booking:
        """The officer's decision; a freed lane calls the next truck automatically."""
        state = State.CLEARED if cleared else State.REFUSED
        reason = reason.strip()[:200] if cleared else _reason(reason)
        note = JournalNote(state.value, {"reason": reason}, self._officer(officer))
        done = self.store.update_booking(
            booking, [State.CALLED, State.AT_CONTROL, State.INSPECTION], {"state": state},
            utc_timestamp(self.now()), note,
        )  # fmt: skip
        if done.lane:
            self.call_next(done.direction, done.lane, None)
        return done

    # --- lane events ----------------------------------------------------------------

    @serialised
    def on_passage(
        self, event_id: str, lane: str, plates: list[str], country: str | None, at: datetime
    ) -> str:
        """Move a booking along on a signed plate read; returns what happened.

        ``plates`` are the voted plate and its candidates, best first.  A read that no
        active booking explains is kept as an unmatched read.
        """
        role = self.config.lane_role(lane)
        if role is None:
            return "lane plays no part in the queue"
        direction, kind = role
        cause = {"event_id": event_id}
        booking = self._match(plates)
        stamp = utc_timestamp(at)
        if booking is None or booking.direction != direction.id:
            why = "no active booking" if booking is None else "booked for the other direction"
            self.store.add_unmatched(event_id, lane, kind, plates[0] if plates else "",
                                     country, why, stamp)  # fmt: skip
            return f"unmatched: {why}"
        if kind == "waiting":
            return self._arrive(booking, at, cause)
        if kind == "entry" and booking.state in (State.CALLED, State.ARRIVED):
            if booking.state is State.ARRIVED:
                # Drove up without being called: recorded, and the order check will show it.
                self.store.add_unmatched(event_id, lane, kind, booking.tractor.text, country,
                                         "at control without a call", stamp)  # fmt: skip
                return "unmatched: not called"
            self.store.update_booking(
                booking.booking, [State.CALLED], {"state": State.AT_CONTROL, "lane": lane},
                stamp, JournalNote("at_control", {"lane": lane}, cause),
            )  # fmt: skip
            return "at_control"
        if kind == "exit" and booking.state in (State.CLEARED, State.REFUSED, State.AT_CONTROL):
            self.store.update_booking(
                booking.booking, [booking.state], {"state": State.EXITED}, stamp,
                JournalNote("exited", {"lane": lane}, cause),
            )  # fmt: skip
            return "exited"
        return f"ignored: {kind} read while {booking.state.value}"

    def _arrive(self, booking: Booking, at: datetime, cause: dict[str, str]) -> str:
        if booking.state is not State.BOOKED:
            return f"ignored: already {booking.state.value}"
        slot = _parse(booking.slot)
        opens = slot - timedelta(hours=self.config.arrive_before_hours)
        closes = slot + timedelta(hours=self.config.arrive_after_hours)
        if at < opens:
            return "early: check-in opens " + utc_timestamp(opens)
        stream = Stream.BOOKED if at <= closes else Stream.LIVE
        stamp = utc_timestamp(at)
        self.store.update_booking(
            booking.booking, [State.BOOKED],
            {"state": State.ARRIVED, "stream": stream, "queued_at": stamp},
            stamp, JournalNote("arrived", {"stream": stream.value, "late": at > closes}, cause),
        )  # fmt: skip
        return "arrived" + (" late: live queue" if at > closes else "")

    def _match(self, plates: list[str]) -> Booking | None:
        from shekara.plates import confusion_key

        for text in plates:
            found = self.store.active_by_plate(confusion_key(text))
            if found is not None:
                return found
        return None

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
                    JournalNote("expired", {}, _system("hold timed out")),
                )  # fmt: skip
                changed += 1
            except WrongState:
                pass  # completed or expired by another request meanwhile
        gone = utc_timestamp(now - timedelta(hours=self.config.exit_timeout_hours))
        for decided in self.store.decided_before(gone):
            self.store.update_booking(
                decided.booking, [decided.state], {"state": State.EXITED}, stamp,
                JournalNote("exited", {}, _system("no exit read")),
            )  # fmt: skip
            changed += 1
        late = now - timedelta(hours=self.config.arrive_after_hours)
        for missed in self.store.missed(utc_timestamp(late)):
            try:
                self.store.update_booking(
                    missed.booking, [State.BOOKED], {"state": State.NO_SHOW}, stamp,
                    JournalNote("no_show", {}, _system("not checked in by the window's end")),
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
                                       "until": until, "reason": reason}, _system(reason)),
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
        cutoff = _parse(booking.slot) - timedelta(hours=self.config.reschedule_cutoff_hours)
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
        hour = _hour(self.now())
        return sum(self.capacity(booking.direction, c, hour) for c in Category)

    def _slot_data(
        self, direction: str, category: Category, slot: datetime | None, stream: Stream
    ) -> dict[str, Any]:
        return {"direction": direction, "category": category.value,
                "slot": utc_timestamp(slot) if slot else None, "stream": stream.value}  # fmt: skip

    def _officer(self, officer: str) -> dict[str, str]:
        return {"officer": keyed(self._key, officer)}


def _system(why: str = "") -> dict[str, str]:
    return {"system": why}


def _hour(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise BadRequest("times need a zone", field="slot")
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _parse(stamp: str | None) -> datetime:
    assert stamp is not None
    return parse_time(stamp)


def _person(name: str, phone: str, carrier: str) -> tuple[str, str, str]:
    name, carrier = name.strip(), carrier.strip()
    digits = "".join(c for c in phone if c.isdigit())
    if not 2 <= len(name) <= 100:
        raise BadRequest("the driver's name must be 2 to 100 characters", field="driver_name")
    if not 8 <= len(digits) <= 15:
        raise BadRequest("the phone number needs 8 to 15 digits", field="phone")
    if len(carrier) > 100:
        raise BadRequest("the carrier's name is at most 100 characters", field="carrier")
    return name, "+" + digits, carrier


def _reason(reason: str) -> str:
    text = reason.strip()
    if not 3 <= len(text) <= 200:
        raise BadRequest("a reason of 3 to 200 characters is required", field="reason")
    return text
