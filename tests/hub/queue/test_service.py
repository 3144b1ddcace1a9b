"""Booking rules, lane-driven transitions and officer calls on a real SQLite file."""

from __future__ import annotations

from datetime import timedelta

import pytest
from queue_helpers import START, Clock, book

from hub.queue.journal import booking_id, verify
from hub.queue.policy import Category, State, Stream
from hub.queue.records import (
    BadRequest,
    Banned,
    NotFound,
    PlateBusy,
    SlotFull,
    TooLate,
    WrongState,
)
from hub.queue.service import QueueService, clean_reference, new_reference

SLOT = START + timedelta(hours=6)


def test_references_are_grouped_crockford_and_forgive_typing_slips() -> None:
    ref = new_reference()
    assert len(ref) == 19 and ref.count("-") == 3
    assert clean_reference(ref.lower().replace("-", " ")) == ref
    assert clean_reference("0000-1111-0000-1111") == clean_reference("oooo-iiii-OOOO-LLLL")
    with pytest.raises(NotFound):
        clean_reference("too-short")


def test_a_booking_holds_then_completes(service: QueueService) -> None:
    reference, held = service.hold("kz-tm", Category.GENERAL, SLOT, ("123 abc 02", "KZ"), [])
    assert held.state is State.HELD and held.hold_expires is not None
    done = service.complete(reference, "Aidos", "+7 701 555 0101", "Caspian")
    assert done.state is State.BOOKED and done.driver_phone == "+77015550101"
    assert done.tractor.text == "123ABC02"


def test_one_vehicle_cannot_book_twice_under_another_spelling(service: QueueService) -> None:
    book(service, "123ABC02", SLOT)
    for spelling in ("123 ABC 02", "123АВС02", "I23ABCO2"):  # spaces, Cyrillic, I/1 and O/0
        with pytest.raises(PlateBusy):
            book(service, spelling, SLOT + timedelta(hours=1))


def test_a_trailer_cannot_be_in_two_bookings(service: QueueService) -> None:
    book(service, "123ABC02", SLOT, trailers=("045AB02",))
    with pytest.raises(PlateBusy):
        book(service, "777KZA02", SLOT, trailers=("045 AB 02",))


def test_a_plate_of_no_country_format_is_refused_with_the_layouts(service: QueueService) -> None:
    with pytest.raises(BadRequest, match="not a KZ plate"):
        book(service, "ABC", SLOT)


def test_capacity_is_per_hour_and_category(service: QueueService, clock: Clock) -> None:
    service.set_capacity("kz-tm", Category.DANGEROUS, SLOT, 1, "op")
    book(service, "100ABC02", SLOT, Category.DANGEROUS)
    with pytest.raises(SlotFull):
        book(service, "101ABC02", SLOT, Category.DANGEROUS)
    book(service, "102ABC02", SLOT, Category.GENERAL)  # another category still has room
    free = {(s.category, s.hour): s.free for s in service.slots("kz-tm", [SLOT])}
    assert free[(Category.DANGEROUS, SLOT)] == 0


def test_an_unfinished_hold_is_released_after_ten_minutes(
    service: QueueService, clock: Clock
) -> None:
    service.set_capacity("kz-tm", Category.GENERAL, SLOT, 1, "op")
    reference, _ = service.hold("kz-tm", Category.GENERAL, SLOT, ("100ABC02", "KZ"), [])
    with pytest.raises(SlotFull):
        service.hold("kz-tm", Category.GENERAL, SLOT, ("101ABC02", "KZ"), [])
    clock.advance(minutes=10)
    service.hold("kz-tm", Category.GENERAL, SLOT + timedelta(hours=1), ("100 ABC 02", "KZ"), [])
    service.hold("kz-tm", Category.GENERAL, SLOT, ("101ABC02", "KZ"), [])
    with pytest.raises(WrongState, match="expired"):
        service.complete(reference, "Aidos", "+77015550101", "")


def test_rescheduling_closes_three_hours_before_the_slot(
    service: QueueService, clock: Clock
) -> None:
    reference = book(service, "100ABC02", SLOT)
    moved = service.reschedule(reference, SLOT + timedelta(hours=5))
    assert moved.slot is not None and moved.reschedules == 1
    clock.now = SLOT + timedelta(hours=3)  # 2 h before the new slot
    with pytest.raises(TooLate):
        service.reschedule(reference, SLOT + timedelta(hours=9))
    with pytest.raises(TooLate):
        service.cancel(reference)


def test_two_no_shows_in_thirty_days_bring_a_ban(service: QueueService, clock: Clock) -> None:
    for day in range(2):
        book(service, "100ABC02", SLOT + timedelta(days=day))
        clock.now = SLOT + timedelta(days=day, hours=1, minutes=1)
        service.sweep()
    with pytest.raises(Banned):
        book(service, "100 ABC 02", SLOT + timedelta(days=2))
    clock.advance(days=14)
    book(service, "100ABC02", clock.now + timedelta(hours=4))


def test_a_plate_read_checks_in_and_lanes_move_the_truck_along(
    service: QueueService, clock: Clock
) -> None:
    reference = book(service, "100ABC02", SLOT)
    early = service.on_passage("e0", "wait-out", ["100ABC02"], "KZ", SLOT - timedelta(hours=4))
    assert early.startswith("early")
    clock.now = SLOT - timedelta(hours=1)
    assert service.on_passage("e1", "wait-out", ["1OOABC02"], "KZ", clock.now) == "arrived"
    assert service.status(reference).position == 1
    called = service.call_next("kz-tm", "entry-1", "officer-1")
    assert called is not None and called.state is State.CALLED and called.lane == "entry-1"
    assert service.on_passage("e2", "entry-1", ["100ABC02"], "KZ", clock.now) == "at_control"
    service.decide(booking_id(reference), True, "", "officer-1")
    assert service.on_passage("e3", "exit-1", ["100ABC02"], "KZ", clock.now) == "exited"
    causes = [e.cause for e in service.store.journal_of(booking_id(reference))]
    assert {"event_id": "e1"} in causes and {"event_id": "e3"} in causes


def test_a_read_without_a_booking_is_kept_as_unmatched(service: QueueService) -> None:
    assert service.on_passage("e9", "wait-out", ["999ZZZ02"], "KZ", START).startswith("unmatched")
    (read,) = service.store.unmatched()
    assert (read.event_id, read.plate, read.reason) == ("e9", "999ZZZ02", "no active booking")


def test_late_arrivals_join_the_live_stream(service: QueueService, clock: Clock) -> None:
    book(service, "100ABC02", SLOT)
    clock.now = SLOT + timedelta(minutes=30)
    service.sweep()
    late = SLOT + timedelta(minutes=61)
    assert (
        service.on_passage("e1", "wait-out", ["100ABC02"], "KZ", late) == "arrived late: live queue"
    )
    (w,) = service.waiting_order("kz-tm")
    assert w.stream is Stream.LIVE


def test_calls_follow_the_published_order_and_the_journal_proves_it(
    service: QueueService, clock: Clock
) -> None:
    refs = [book(service, f"10{i}ABC02", SLOT + timedelta(hours=i % 2)) for i in range(4)]
    perishable = book(service, "200ABC02", SLOT + timedelta(hours=1), Category.PERISHABLE)
    clock.now = SLOT + timedelta(minutes=50)
    for i, plate in enumerate(["101ABC02", "100ABC02", "200ABC02", "103ABC02", "102ABC02"]):
        service.on_passage(f"w{i}", "wait-out", [plate], "KZ", clock.now - timedelta(minutes=5 - i))
    walk_in, _ = service.walk_in(
        "kz-tm", Category.EMPTY, ("300ABC02", "KZ"), [], "Walk In", "+77010000000", "", "op"
    )
    # Due: the first hour's trucks by check-in; then the live stream; then the early
    # trucks of the next hour by check-in (no priority before their hour starts).
    before = [refs[0], refs[2], walk_in, refs[1], perishable, refs[3]]
    assert [w.booking for w in service.waiting_order("kz-tm")] == list(map(booking_id, before))
    clock.now = SLOT + timedelta(hours=1, minutes=5)
    # Both hours due: the first hour, then the perishable ahead of its hour, then the rest.
    after = [refs[0], refs[2], perishable, refs[1], refs[3], walk_in]
    assert [w.booking for w in service.waiting_order("kz-tm")] == list(map(booking_id, after))
    called = [service.call_next("kz-tm", "entry-1", "officer-1") for _ in range(6)]
    assert [c.booking for c in called if c] == list(map(booking_id, after))
    assert verify(service.store.journal()).calls == 6


def test_skipping_sends_the_truck_to_the_end_of_the_live_stream(
    service: QueueService, clock: Clock
) -> None:
    first = book(service, "100ABC02", SLOT)
    book(service, "101ABC02", SLOT)
    clock.now = SLOT
    service.on_passage("w1", "wait-out", ["100ABC02"], "KZ", clock.now)
    service.on_passage("w2", "wait-out", ["101ABC02"], "KZ", clock.now)
    with pytest.raises(BadRequest):
        service.skip(booking_id(first), "", "officer-1")
    service.skip(booking_id(first), "papers incomplete", "officer-1")
    assert service.waiting_order("kz-tm")[-1].booking == booking_id(first)
    service.call_next("kz-tm", "entry-1", "officer-1")
    service.call_next("kz-tm", "entry-1", "officer-1")
    assert verify(service.store.journal()).calls == 2


def test_the_journal_holds_no_personal_data_in_clear(service: QueueService) -> None:
    book(service, "100ABC02", SLOT)
    text = "".join(str(e.to_json()) for e in service.store.journal())
    for secret in ("100ABC02", "7015550101", "Aidos", "Caspian"):
        assert secret not in text
