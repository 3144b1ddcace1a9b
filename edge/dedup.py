"""One event per sighting: a code seen in consecutive frames is reported once.

A sighting lasts while the code keeps being read with gaps of at most ``window_s``
seconds (a missed frame, a passing forklift); once unseen for longer, its next read is
a new sighting and a new event.  The clock is passed in, so this is pure and testable.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from edge.barcodes import CodeRead

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Sighting:
    """One code in view: its first read, when it was seen and in how many frames."""

    read: CodeRead
    first_seen: float
    last_seen: float
    frames: int = 0
    emitted: bool = False


class Deduplicator:
    """Turn per-frame reads into one read per sighting."""

    def __init__(self, window_s: float = 3.0, min_frames: int = 1) -> None:
        if window_s <= 0 or min_frames < 1:
            raise ValueError(f"need window_s > 0 and min_frames >= 1, not {window_s}, {min_frames}")
        self.window_s = window_s
        self.min_frames = min_frames  # >1 withholds a code until seen in that many frames
        self._active: dict[tuple[str, str], Sighting] = {}

    @property
    def active(self) -> list[Sighting]:
        """Sightings not yet over, oldest first."""
        return sorted(self._active.values(), key=lambda s: s.first_seen)

    def feed(self, reads: Iterable[CodeRead], now: float) -> list[CodeRead]:
        """Record one frame's reads at time ``now``; return those that start an event.

        A returned read carries ``frames``: how many frames it was seen in when emitted.
        """
        self.expire(now)
        emit: list[CodeRead] = []
        in_frame: set[tuple[str, str]] = set()
        for read in reads:
            key = (read.symbology, read.text)
            if key in in_frame:
                continue  # two decoders or two passes reporting the same symbol
            in_frame.add(key)
            sighting = self._active.get(key)
            if sighting is None:
                sighting = self._active[key] = Sighting(read, first_seen=now, last_seen=now)
            sighting.frames += 1
            sighting.last_seen = now
            if not sighting.emitted and sighting.frames >= self.min_frames:
                sighting.emitted = True
                emit.append(dataclasses.replace(sighting.read, frames=sighting.frames))
        return emit

    def expire(self, now: float) -> list[Sighting]:
        """End and return the sightings unseen for longer than the window."""
        over = [k for k, s in self._active.items() if now - s.last_seen > self.window_s]
        ended = [self._active.pop(k) for k in over]
        for s in ended:
            log.debug("sighting of %s ended after %d frames", s.read.text, s.frames)
        return ended
