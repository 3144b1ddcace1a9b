"""Events the outbox cannot take yet (disk full), held in memory and written when it can.

Events are signed, chained and numbered only when the outbox commits them, so an event
held here has no seq yet: holding it leaves no gap in the chain, and the order of
events is kept (new ones queue behind the held ones).  The outbox is retried at most
every ``retry_s``.  Past ``limit`` held events the oldest are dropped, counted and
logged: losing some events of a lane whose disk stays full is better than the agent
dying of memory.  An event the outbox refuses for any other reason (a body that does
not fit the contract: a bug, not the disk) is dropped with its traceback, so it cannot
block the events behind it.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from edge.outbox import Outbox, OutboxUnavailable

log = logging.getLogger(__name__)

Item = tuple[str, dict[str, Any], str]  # event type, body, captured_at
CHUNK = 100  # events per transaction when writing back: a half-full disk takes some


class Holding:
    """A bounded, ordered queue in front of :meth:`Outbox.append_many`."""

    def __init__(
        self,
        outbox: Outbox,
        limit: int = 10_000,
        retry_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.outbox = outbox
        self.limit, self.retry_s, self.clock = limit, retry_s, clock
        self.dropped = 0  # events lost since start: held past the limit, or refused
        self._held: deque[Item] = deque()
        self._retry_at = 0.0
        self._failing = False

    @property
    def held(self) -> int:
        """Events waiting in memory."""
        return len(self._held)

    def append(self, items: list[Item]) -> list[dict[str, Any]]:
        """Queue ``items`` behind any held ones and write what the outbox takes now.

        Returns the signed events committed by this call (held ones included)."""
        self._held.extend(items)
        while len(self._held) > self.limit:
            event_type = self._held.popleft()[0]
            self.dropped += 1
            log.error("dropped a held %s event: %d events held in memory is the limit "
                      "(%d dropped since start)", event_type, self.limit, self.dropped)  # fmt: skip
        return self.flush()

    def flush(self) -> list[dict[str, Any]]:
        """Write held events if any and a retry is due; returns the events committed."""
        if not self._held or self.clock() < self._retry_at:
            return []
        committed: list[dict[str, Any]] = []
        while self._held:
            chunk = [self._held[i] for i in range(min(CHUNK, len(self._held)))]
            try:
                committed.extend(self.outbox.append_many(chunk))
            except OutboxUnavailable as exc:
                self._retry_at = self.clock() + self.retry_s
                if not self._failing:
                    log.error("%s; holding %d events in memory and retrying every %gs",
                              exc, len(self._held), self.retry_s)  # fmt: skip
                self._failing = True
                return committed
            except Exception:
                committed.extend(self._one_by_one(len(chunk)))
                continue
            for _ in chunk:
                self._held.popleft()
        if self._failing:
            log.warning("outbox writable again: %d held events written", len(committed))
        self._failing = False
        return committed

    def _one_by_one(self, n: int) -> list[dict[str, Any]]:
        # Only reached when a chunk was refused for a reason other than the disk: find
        # the bad events and drop them, keep the rest in order.
        committed: list[dict[str, Any]] = []
        for _ in range(n):
            item = self._held[0]
            try:
                committed.extend(self.outbox.append_many([item]))
            except OutboxUnavailable:
                return committed  # the disk after all: the caller's next try handles it
            except Exception:
                self.dropped += 1
                log.exception("dropped a %s event the outbox refused", item[0])
            self._held.popleft()
        return committed
