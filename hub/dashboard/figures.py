"""The queue's figures for the operators, per direction: the line, waits, hourly throughput.

**Wait** is the time from *queued* (checked in at the waiting zone; a truck an officer
skipped is queued again from the skip) to *called forward*, of the trucks called in
the period: today is the checkpoint's local day (``QueueConfig.zone``), the week its
last seven local days, today included.

**Percentiles** are by nearest rank: the p-th percentile of n waits is the
⌈p/100 · n⌉-th smallest (1-based).  It is always a wait some truck really had, with no
interpolation, and p50 of 1 wait is that wait.

**Throughput** of a local hour is the number of trucks called forward in it (by
``called_at``, booked and walk-ins alike), set against the hour's **capacity**: the
slots of every category in that hour, as operators set them or else the direction's
defaults (:meth:`QueueService.slots`).  Calling forward is what the officers control
and what the slots ration; a truck reaches control a short drive later.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from hub.queue.journal import parse_time
from hub.queue.policy import Category, State
from hub.queue.service import QueueService
from hub.store.dashboard_sql import DashboardQueries
from shekara.wire import utc_timestamp

HOUR = timedelta(hours=1)
WEEK_DAYS = 7


def nearest_rank(values: Sequence[float], pct: float) -> float | None:
    """The ``pct``-th percentile of ``values`` by nearest rank; None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True, slots=True)
class WaitStats:
    """Waits of the trucks called in a period, minutes."""

    count: int
    p50: float | None
    p90: float | None

    @classmethod
    def of(cls, minutes: Sequence[float]) -> WaitStats:
        """The median and 90th percentile (nearest rank), to a tenth of a minute."""
        p50, p90 = nearest_rank(minutes, 50), nearest_rank(minutes, 90)
        return cls(len(minutes), _tenth(p50), _tenth(p90))


@dataclass(frozen=True, slots=True)
class DayWaits:
    """One local day's waits."""

    day: date
    waits: WaitStats


@dataclass(frozen=True, slots=True)
class HourLoad:
    """One local hour of today: trucks called forward against the hour's slots."""

    hour: datetime  # UTC start
    label: str  # local start, "HH:MM"
    called: int
    capacity: int
    started: bool  # the hour has begun (later hours show capacity only)


@dataclass(frozen=True, slots=True)
class DirectionFigures:
    """Everything the dashboard shows of one direction's queue."""

    direction: str
    name: str
    waiting: dict[str, int]  # checked-in trucks by category, every category listed
    waiting_total: int
    longest_wait_minutes: float | None  # of the trucks waiting now
    today: WaitStats
    week: WaitStats
    days: list[DayWaits]  # the last seven local days, oldest first
    hours: list[HourLoad]  # the 24 local hours of today
    called_today: int
    capacity_so_far: int  # slots of the hours begun today


def longest_wait(queue: QueueService, direction: str, now: datetime) -> float | None:
    """Minutes the longest-waiting checked-in truck of ``direction`` has waited, or None."""
    starts = [b.queued_at or b.updated_at for b in queue.store.in_states([State.ARRIVED],
                                                                         direction)]  # fmt: skip
    if not starts:
        return None
    return _tenth((now - parse_time(min(starts))).total_seconds() / 60)


def direction_figures(
    queue: QueueService, queries: DashboardQueries, direction: str
) -> DirectionFigures:
    """The figures of ``direction`` now (BadRequest for an unknown direction)."""
    d = queue.config_direction(direction)
    now = queue.now()
    today = now.astimezone(queue.config.zone).date()
    waiting = {c.value: 0 for c in Category}
    for booking in queue.store.in_states([State.ARRIVED], direction):
        waiting[booking.category.value] += 1
    by_day = _waits_by_day(queue, queries, direction, today)
    loads = _hour_loads(queue, queries, direction, today, now)
    return DirectionFigures(
        direction=d.id,
        name=d.name,
        waiting=waiting,
        waiting_total=sum(waiting.values()),
        longest_wait_minutes=longest_wait(queue, direction, now),
        today=WaitStats.of(by_day[today]),
        week=WaitStats.of([m for day in by_day.values() for m in day]),
        days=[DayWaits(day, WaitStats.of(by_day[day])) for day in sorted(by_day)],
        hours=loads,
        called_today=sum(load.called for load in loads),
        capacity_so_far=sum(load.capacity for load in loads if load.started),
    )


def _waits_by_day(
    queue: QueueService, queries: DashboardQueries, direction: str, today: date
) -> dict[date, list[float]]:
    """Minutes waited by the trucks called on each of the last seven local days."""
    zone = queue.config.zone
    first_day = today - timedelta(days=WEEK_DAYS - 1)
    since = queue.local_day_hours(first_day)[0]
    until = queue.local_day_hours(today)[-1] + HOUR
    by_day: dict[date, list[float]] = {first_day + timedelta(days=i): [] for i in range(WEEK_DAYS)}
    for queued, called in queries.waits_between(
        direction, utc_timestamp(since), utc_timestamp(until)
    ):
        called_at = parse_time(called)
        minutes = max(0.0, (called_at - parse_time(queued)).total_seconds() / 60)
        by_day.get(called_at.astimezone(zone).date(), []).append(minutes)
    return by_day


def _hour_loads(
    queue: QueueService, queries: DashboardQueries, direction: str, today: date, now: datetime
) -> list[HourLoad]:
    """Trucks called forward in each local hour of today, and the hour's slots."""
    hours = queue.local_day_hours(today)
    counts = [0] * len(hours)
    until = utc_timestamp(hours[-1] + HOUR)
    for stamp in queries.called_between(direction, utc_timestamp(hours[0]), until):
        index = int((parse_time(stamp) - hours[0]).total_seconds() // 3600)
        if 0 <= index < len(hours):
            counts[index] += 1
    capacity: dict[datetime, int] = {}
    for view in queue.slots(direction, hours):
        capacity[view.hour] = capacity.get(view.hour, 0) + view.capacity
    zone = queue.config.zone
    return [
        HourLoad(h, h.astimezone(zone).strftime("%H:%M"), counts[i], capacity.get(h, 0), h <= now)
        for i, h in enumerate(hours)
    ]


def checkpoint_figures(queue: QueueService, queries: DashboardQueries) -> list[DirectionFigures]:
    """The figures of every direction of the hub's checkpoint, in the config's order."""
    return [direction_figures(queue, queries, d.id) for d in queue.config.directions]


def _tenth(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
