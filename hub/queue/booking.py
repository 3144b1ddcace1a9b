"""The booking desk: holds, bookings, walk-ins, cancelling, moving, the driver's status."""

from __future__ import annotations

from datetime import datetime, timedelta

from hub.queue.core import (
    QueueCore,
    Status,
    clean_person,
    clean_reference,
    hour_start,
    new_reference,
    parse_stamp,
    serialised,
)
from hub.queue.journal import booking_id, keyed
from hub.queue.policy import Category, State, Stream
from hub.queue.records import (
    BadRequest,
    Booking,
    JournalNote,
    NewBooking,
    PlateBusy,
    TooLate,
    WrongState,
)
from shekara.wire import utc_timestamp


class BookingDesk(QueueCore):
    """What drivers (and, for walk-ins, officers) do with bookings."""

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
        return self._take_slot(direction, category, slot, tractor, trailers, client, None)

    @serialised
    def complete(self, reference: str, driver_name: str, phone: str, carrier: str) -> Booking:
        """Turn a hold into a booking with the driver's details."""
        name, phone, carrier = clean_person(driver_name, phone, carrier)
        ref_id = booking_id(clean_reference(reference))
        current = self._get(ref_id)
        expired = current.hold_expires is not None and current.hold_expires <= utc_timestamp(
            self.now()
        )
        if current.state is State.HELD and expired:
            self.sweep()
            current = self._get(ref_id)
        if current.state is State.EXPIRED:
            raise WrongState("the hold expired; book again", state="expired")
        changes = {"state": State.BOOKED, "driver_name": name, "driver_phone": phone,
                   "carrier": carrier, "hold_expires": None}  # fmt: skip
        note = JournalNote(
            "booked",
            {**self._slot_data(current.direction, current.category,
                               parse_stamp(current.slot), Stream.BOOKED),
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
        """Book in one step (the REST API's single call): one transaction, no hold."""
        person = clean_person(driver_name, phone, carrier)
        return self._take_slot(direction, category, slot, tractor, trailers, client, person)

    def _take_slot(
        self,
        direction: str,
        category: Category,
        slot: datetime,
        tractor: tuple[str, str],
        trailers: list[tuple[str, str]],
        client: str,
        person: tuple[str, str, str] | None,
    ) -> tuple[str, Booking]:
        """Insert a hold (``person`` None) or a finished booking, checks and journal included."""
        self._direction(direction)
        now = self.now()
        slot = hour_start(slot)
        if slot < hour_start(now):
            raise BadRequest("the slot is in the past", field="slot")
        if slot > now + timedelta(days=self.config.booking_horizon_days):
            raise BadRequest(
                f"slots open {self.config.booking_horizon_days} days ahead", field="slot"
            )
        plates = self._plates(tractor, trailers)
        reference = new_reference()
        data = {**self._slot_data(direction, category, slot, Stream.BOOKED),
                "plates": [keyed(self._key, p.key) for p in plates]}  # fmt: skip
        if person is None:
            expires: str | None = utc_timestamp(now + timedelta(minutes=self.config.hold_minutes))
            state, name, phone, carrier = State.HELD, "", "", ""
            note = JournalNote("held", {**data, "expires": expires}, {"driver": ""})
        else:
            expires, state, (name, phone, carrier) = None, State.BOOKED, person
            note = JournalNote("booked", {**data, "phone": keyed(self._key, phone)},
                               {"driver": ""})  # fmt: skip
        new = NewBooking(
            booking=booking_id(reference), checkpoint=self.config.checkpoint,
            direction=direction, category=category, slot=utc_timestamp(slot),
            stream=Stream.BOOKED, state=state, tractor=plates[0], trailers=tuple(plates[1:]),
            driver_name=name, driver_phone=phone, carrier=carrier, hold_expires=expires,
            client=client,
        )  # fmt: skip
        capacity = self.capacity(direction, category, slot)
        try:
            booking = self.store.insert_booking(new, capacity, utc_timestamp(now), note)
        except PlateBusy:
            # The lock may belong to a hold that ran out and was not swept yet.
            if not self.sweep():
                raise
            booking = self.store.insert_booking(new, capacity, utc_timestamp(now), note)
        return reference, booking

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
        name, phone, carrier = clean_person(driver_name, phone, carrier)
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
        slot = hour_start(slot)
        if slot < hour_start(now) + timedelta(hours=self.config.reschedule_cutoff_hours):
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
        name, phone, _ = clean_person(driver_name, phone, current.carrier)
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
            eta = parse_stamp(booking.slot)
        return Status(booking, position, eta, len(line))
