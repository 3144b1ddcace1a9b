"""Where a device's hash chain stands: the highest seq stored, its hash, and the holes.

Pure bookkeeping, no I/O: the ingest pipeline asks where a new seq falls, then
records it.  Gaps are kept as sorted, disjoint, inclusive ranges; a late event
splits or shrinks the range it falls in.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from enum import StrEnum

from hub.store import Gap


class Position(StrEnum):
    """Where a seq falls relative to what is stored."""

    NEXT = "next"  # last_seq + 1: its prev_hash must be the last hash
    AHEAD = "ahead"  # beyond last_seq + 1: opens a gap
    LATE = "late"  # inside a gap: fills it
    STORED = "stored"  # already stored: a duplicate or a replay


@dataclass(slots=True)
class Ledger:
    """Chain position of one device."""

    last_seq: int = 0
    last_hash: str | None = None
    gaps: list[Gap] = field(default_factory=list)

    def position(self, seq: int) -> Position:
        """Where ``seq`` falls."""
        if seq == self.last_seq + 1:
            return Position.NEXT
        if seq > self.last_seq:
            return Position.AHEAD
        return Position.LATE if self.gap_of(seq) is not None else Position.STORED

    def gap_of(self, seq: int) -> int | None:
        """Index of the gap holding ``seq``, or ``None``."""
        i = bisect.bisect_right([g.from_seq for g in self.gaps], seq) - 1
        if i >= 0 and self.gaps[i].to_seq >= seq:
            return i
        return None

    def is_stored(self, seq: int) -> bool:
        """Whether ``seq`` has been stored (as far as this ledger knows)."""
        return 1 <= seq <= self.last_seq and self.gap_of(seq) is None

    def _known_top(self) -> int:
        # A gap announced by the device (expect) can reach above the highest stored seq.
        return max(self.last_seq, self.gaps[-1].to_seq if self.gaps else 0)

    def advance(self, seq: int, event_hash: str, now: float) -> bool:
        """Record ``seq`` > last_seq as the new top; return whether the gaps changed."""
        if seq <= self.last_seq:
            raise ValueError(f"seq {seq} is not above the last seq {self.last_seq}")
        changed = True
        if self.gap_of(seq) is not None:
            self.fill(seq)
        elif seq > self._known_top() + 1:
            self._open(self._known_top() + 1, seq - 1, now)
        else:
            changed = False
        self.last_seq = seq
        self.last_hash = event_hash
        return changed

    def expect(self, acked_seq: int, now: float) -> bool:
        """The device says the broker acknowledged everything up to ``acked_seq``.

        Whatever of that is above what we know is missing: a broker that crashed after
        acknowledging can lose the tail of a stream, which no later event would reveal.
        Returns whether a gap opened.
        """
        top = self._known_top()
        if acked_seq <= top:
            return False
        self._open(top + 1, acked_seq, now)
        return True

    def _open(self, from_seq: int, to_seq: int, now: float) -> None:
        last = self.gaps[-1] if self.gaps else None
        if last is not None and last.to_seq + 1 == from_seq:
            # Keep ranges maximal; the older opened_at keeps the resend clock running.
            self.gaps[-1] = Gap(last.from_seq, to_seq, last.opened_at)
        else:
            self.gaps.append(Gap(from_seq, to_seq, now))

    def fill(self, seq: int) -> None:
        """Record a late ``seq``, shrinking or splitting its gap."""
        i = self.gap_of(seq)
        if i is None:
            raise ValueError(f"seq {seq} is not in a gap")
        gap = self.gaps[i]
        pieces = []
        if gap.from_seq < seq:
            pieces.append(Gap(gap.from_seq, seq - 1, gap.opened_at))
        if seq < gap.to_seq:
            pieces.append(Gap(seq + 1, gap.to_seq, gap.opened_at))
        self.gaps[i : i + 1] = pieces

    def missing(self) -> int:
        """How many seqs below the top are missing."""
        return sum(g.to_seq - g.from_seq + 1 for g in self.gaps)
