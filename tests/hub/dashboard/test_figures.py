"""Queue figures from real bookings on a real SQLite file: line, waits, throughput.

Temirbaba is UTC+5: its local day 21 November starts at 2026-11-20T19:00Z, and the
clock stands at START (2026-11-21T06:00Z, 11:00 local).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from queue_helpers import START, Clock, book, make_service

from hub.dashboard.figures import WaitStats, direction_figures, nearest_rank
from hub.queue.policy import Category
from hub.queue.records import BadRequest
from hub.queue.service import QueueService
from hub.store import Store
from hub.store.dashboard_sql import DashboardQueries

DEFAULT_HOUR = 20 + 4 + 2 + 2 + 6 + 8  # Temirbaba's default slots of all categories


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def queue(tmp_path: Path) -> Iterator[tuple[Store, QueueService, Clock]]:
    clock = Clock(START)
    store, service = make_service(tmp_path / "hub.db", clock)
    yield store, service, clock
    store.close()


def checked_in(service: QueueService, clock: Clock, plate: str, queued: datetime,
               category: Category = Category.GENERAL) -> str:  # fmt: skip
    """A truck booked for the hour after ``queued`` and read at the waiting zone then."""
    clock.now = queued - timedelta(hours=1)
    reference = book(service, plate, queued + timedelta(hours=1), category)
    assert service.on_passage(f"read-{plate}", "wait-out", [plate], "KZ", queued) == "arrived"
    return reference


def waited(service: QueueService, clock: Clock, plate: str, queued: str, called: str) -> None:
    """A truck that checked in at ``queued`` and was called forward at ``called`` (UTC)."""
    checked_in(service, clock, plate, at(queued))
    clock.now = at(called)
    done = service.call_next("kz-tm", "entry-1", "officer1")
    assert done is not None and done.tractor.text == plate


def test_nearest_rank_is_always_a_value_that_happened() -> None:
    assert nearest_rank([], 50) is None
    assert nearest_rank([7.0], 50) == nearest_rank([7.0], 90) == 7.0
    tens = [float(v) for v in (10, 1, 9, 2, 8, 3, 7, 4, 6, 5)]
    assert (nearest_rank(tens, 50), nearest_rank(tens, 90), nearest_rank(tens, 100)) == (5, 9, 10)
    assert nearest_rank([1.0, 2.0, 3.0, 4.0], 50) == 2.0  # rank ceil(2.0) = 2, no averaging
    assert nearest_rank([1.0, 2.0, 3.0, 4.0], 51) == 3.0
    assert WaitStats.of([12.34, 1.0]) == WaitStats(2, 1.0, 12.3)


def test_waits_today_and_over_seven_local_days(queue: tuple[Store, QueueService, Clock]) -> None:
    store, service, clock = queue
    waited(service, clock, "101ABC02", "2026-11-19T08:00:00", "2026-11-19T08:40:00")  # 40 min
    # 23:50 local on the 20th (yesterday), then 00:30 local on the 21st (today).
    waited(service, clock, "102ABC02", "2026-11-20T18:00:00", "2026-11-20T18:50:00")  # 50 min
    waited(service, clock, "103ABC02", "2026-11-20T19:10:00", "2026-11-20T19:30:00")  # 20 min
    waited(service, clock, "104ABC02", "2026-11-21T04:00:00", "2026-11-21T05:00:00")  # 60 min
    waited(service, clock, "105ABC02", "2026-11-21T05:10:00", "2026-11-21T05:20:00")  # 10 min
    checked_in(service, clock, "106ABC02", at("2026-11-21T05:30:00"))
    checked_in(service, clock, "107ABC02", at("2026-11-21T05:45:00"), Category.PERISHABLE)
    clock.now = START

    f = direction_figures(service, DashboardQueries(store), "kz-tm")

    assert (f.direction, f.name) == ("kz-tm", "Kazakhstan → Turkmenistan")
    assert f.waiting == {"general": 1, "perishable": 1, "dangerous": 0, "humanitarian": 0,
                         "empty": 0, "transit": 0}  # fmt: skip
    assert (f.waiting_total, f.longest_wait_minutes) == (2, 30.0)
    assert f.today == WaitStats(3, 20.0, 60.0)  # 10, 20, 60
    assert f.week == WaitStats(5, 40.0, 60.0)  # 10, 20, 40, 50, 60
    assert [d.day.isoformat() for d in f.days] == [f"2026-11-{d}" for d in range(15, 22)]
    assert [(d.waits.count, d.waits.p50) for d in f.days[-3:]] == [(1, 40.0), (1, 50.0),
                                                                    (3, 20.0)]  # fmt: skip
    other = direction_figures(service, DashboardQueries(store), "tm-kz")
    assert (other.waiting_total, other.week.count, other.today.p50) == (0, 0, None)


def test_throughput_per_local_hour_against_capacity(
    queue: tuple[Store, QueueService, Clock],
) -> None:
    store, service, clock = queue
    waited(service, clock, "103ABC02", "2026-11-20T19:10:00", "2026-11-20T19:30:00")
    waited(service, clock, "104ABC02", "2026-11-21T04:00:00", "2026-11-21T05:00:00")
    waited(service, clock, "105ABC02", "2026-11-21T05:10:00", "2026-11-21T05:20:00")
    clock.now = START
    service.set_capacity("kz-tm", Category.GENERAL, at("2026-11-21T05:00:00"), 5, "ops")

    f = direction_figures(service, DashboardQueries(store), "kz-tm")

    assert [h.label for h in f.hours[:2]] == ["00:00", "01:00"] and f.hours[-1].label == "23:00"
    assert f.hours[0].hour == at("2026-11-20T19:00:00")
    assert {h.label: h.called for h in f.hours if h.called} == {"00:00": 1, "10:00": 2}
    ten = f.hours[10]
    assert (ten.label, ten.called, ten.capacity) == ("10:00", 2, 5 + DEFAULT_HOUR - 20)
    assert [h.started for h in f.hours].index(False) == 12  # 11:00 local has begun
    assert f.called_today == 3
    assert f.capacity_so_far == 11 * DEFAULT_HOUR + (5 + DEFAULT_HOUR - 20)


def test_an_unknown_direction_is_refused(queue: tuple[Store, QueueService, Clock]) -> None:
    store, service, _ = queue
    with pytest.raises(BadRequest, match="known: kz-tm, tm-kz"):
        direction_figures(service, DashboardQueries(store), "nowhere")
