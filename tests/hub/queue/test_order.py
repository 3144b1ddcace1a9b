"""The call order as a pure function (hub/queue/order.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hub.queue.order import Waiting, next_to_call, priority_quota
from hub.queue.policy import Category, Stream

NOW = datetime(2026, 11, 21, 10, 30, tzinfo=UTC)
H10, H11 = NOW.replace(minute=0), NOW.replace(hour=11, minute=0)
PRIORITY = frozenset({Category.PERISHABLE})


def truck(name: str, stream: Stream, slot: datetime | None, minutes_ago: int,
          category: Category = Category.GENERAL) -> Waiting:  # fmt: skip
    return Waiting(name, stream, category, slot, NOW - timedelta(minutes=minutes_ago))


def test_nobody_waiting() -> None:
    assert next_to_call([], NOW, PRIORITY, {}) is None


def test_due_booked_first_then_live_then_early() -> None:
    line = [truck("early", Stream.BOOKED, H11, 50), truck("live", Stream.LIVE, None, 60),
            truck("due", Stream.BOOKED, H10, 5)]  # fmt: skip
    order = []
    while line:
        nxt = next_to_call(line, NOW, PRIORITY, {})
        assert nxt is not None
        order.append(nxt.booking)
        line.remove(nxt)
    assert order == ["due", "live", "early"]


def test_priority_goes_first_within_its_hour_while_the_quota_lasts() -> None:
    line = [truck("general", Stream.BOOKED, H10, 30),
            truck("fruit", Stream.BOOKED, H10, 1, Category.PERISHABLE)]  # fmt: skip
    assert next_to_call(line, NOW, PRIORITY, {H10: 1}).booking == "fruit"
    assert next_to_call(line, NOW, PRIORITY, {H10: 0}).booking == "general"


def test_priority_does_not_jump_an_earlier_hour() -> None:
    line = [truck("late-hour", Stream.BOOKED, H10, 1),
            truck("fruit", Stream.BOOKED, H11, 60, Category.PERISHABLE)]  # fmt: skip
    later = NOW + timedelta(hours=1)
    assert next_to_call(line, later, PRIORITY, {H11: 5}).booking == "late-hour"


def test_ties_break_on_the_booking_id() -> None:
    line = [truck("b", Stream.LIVE, None, 5), truck("a", Stream.LIVE, None, 5)]
    assert next_to_call(line, NOW, PRIORITY, {}).booking == "a"


def test_quota_is_a_floor_of_the_share() -> None:
    assert priority_quota(42, 0.3) == 12 and priority_quota(3, 0.3) == 0
    assert priority_quota(10, 0.3) == 3
