"""Who is called next: the published call order, as one pure function.

The hub calls with it and the verifier (:mod:`hub.queue.journal`) replays every call
against it, so the rule below is the only one there is:

1. **Due booked trucks** (stream "booked", slot start at or before now), earliest slot
   first, then earliest check-in.  Within the earliest due slot hour a truck of a
   priority category (perishable, humanitarian by default) goes first, as long as
   fewer than ``priority_share`` x that hour's capacity have been called by priority
   for that hour already.
2. Otherwise the **live stream** (walk-ins, trucks that came after their window,
   trucks skipped by an officer), first come first served.
3. Otherwise **early booked trucks** (checked in before their slot), earliest slot
   first: a lane should not stand idle while trucks wait.

Ties break on the booking's id, so the order is total and the same everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from hub.queue.policy import Category, Stream


@dataclass(frozen=True, slots=True)
class Waiting:
    """A truck checked in and not yet called, as the call order sees it."""

    booking: str  # the journal's booking id (a hash of the reference)
    stream: Stream
    category: Category
    slot: datetime | None  # start of the booked hour (UTC); None on the live stream
    queued_at: datetime  # check-in, or when it joined the live stream


def priority_quota(hour_capacity: int, share: float) -> int:
    """How many priority calls an hour allows."""
    return math.floor(hour_capacity * share + 1e-9)


def next_to_call(
    waiting: Iterable[Waiting],
    now: datetime,
    priority: frozenset[Category],
    quota_left: dict[datetime, int],
) -> Waiting | None:
    """The truck the policy calls next, or None when nobody waits.

    ``quota_left[slot]`` is how many more priority calls the slot hour allows (absent:
    none).
    """
    trucks = list(waiting)
    due = sorted(
        (w for w in trucks if w.stream is Stream.BOOKED and w.slot is not None and w.slot <= now),
        key=_booked_key,
    )
    if due:
        first_slot = due[0].slot
        assert first_slot is not None
        if quota_left.get(first_slot, 0) > 0:
            ahead = [w for w in due if w.slot == first_slot and w.category in priority]
            if ahead:
                return ahead[0]
        return due[0]
    live = sorted((w for w in trucks if w.stream is Stream.LIVE), key=_live_key)
    if live:
        return live[0]
    early = sorted((w for w in trucks if w.stream is Stream.BOOKED), key=_booked_key)
    return early[0] if early else None


def _booked_key(w: Waiting) -> tuple[datetime, datetime, str]:
    assert w.slot is not None
    return (w.slot, w.queued_at, w.booking)


def _live_key(w: Waiting) -> tuple[datetime, str]:
    return (w.queued_at, w.booking)
