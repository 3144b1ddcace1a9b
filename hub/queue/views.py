"""What the board and the public page show, computed from the queue (shared by API and pages)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from hub.queue.journal import parse_time
from hub.queue.policy import State
from hub.queue.records import Booking
from hub.queue.service import QueueService
from shekara.wire import utc_timestamp

BOARD_CALLED = 12  # the most recent calls a board shows


@dataclass(frozen=True, slots=True)
class Board:
    """The big screen of one direction."""

    called: list[Booking]
    waiting_by_category: dict[str, int]
    current_wait_minutes: float | None


@dataclass(frozen=True, slots=True)
class Stats:
    """The public page's figures for one direction."""

    waiting: int
    free_by_hour: dict[str, int]
    average_wait_minutes: float | None


def board(queue: QueueService, direction: str) -> Board:
    """Called trucks (newest first), the line per category, the longest current wait."""
    queue.config_direction(direction)
    called = queue.store.in_states([State.CALLED, State.AT_CONTROL], direction)
    called.sort(key=lambda b: b.called_at or "", reverse=True)
    waiting = queue.waiting_order(direction)
    counts: dict[str, int] = {}
    for w in waiting:
        counts[w.category.value] = counts.get(w.category.value, 0) + 1
    now = queue.now()
    longest = max(((now - w.queued_at).total_seconds() / 60 for w in waiting), default=None)
    return Board(called[:BOARD_CALLED], counts, round(longest, 1) if longest is not None else None)


def stats(queue: QueueService, direction: str) -> Stats:
    """Line length, free slots per hour today (checkpoint time), average wait today."""
    queue.config_direction(direction)
    now = queue.now()
    today = now.astimezone(queue.config.zone).date()
    hours = queue.local_day_hours(today)
    free: dict[str, int] = {}
    for view in queue.slots(direction, hours):
        if view.hour + timedelta(hours=1) > now:
            key = utc_timestamp(view.hour)
            free[key] = free.get(key, 0) + view.free
    waits = [
        (parse_time(called) - parse_time(queued)).total_seconds() / 60
        for queued, called in queue.store.waits_since(direction, utc_timestamp(hours[0]))
    ]
    average = round(sum(waits) / len(waits), 1) if waits else None
    return Stats(len(queue.waiting_order(direction)), free, average)
