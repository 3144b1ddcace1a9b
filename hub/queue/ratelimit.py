"""Per-key request limits: bookings per client address and per phone, logins per address.

A sliding window of the last minute per key, in memory: slot-buying bots are fast
and a restart that forgets the window costs them nothing they did not already have.
Keys that fell silent are forgotten so the table does not grow without bound.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

WINDOW_S = 60.0


class RateLimiter:
    """At most ``limit`` hits per key in any window of :data:`WINDOW_S` seconds."""

    def __init__(self, limit: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._last_sweep = clock()

    def allow(self, key: str, limit: int | None = None) -> bool:
        """Count a hit for ``key``; False when it is over ``limit`` (default: the limiter's)
        and then the hit is not counted."""
        limit = self.limit if limit is None else limit
        now = self._clock()
        with self._lock:
            if now - self._last_sweep > WINDOW_S:
                self._sweep(now)
            hits = self._hits.setdefault(key, deque())
            while hits and now - hits[0] >= WINDOW_S:
                hits.popleft()
            if len(hits) >= limit:
                return False
            hits.append(now)
            return True

    def allow_client(self, host: str) -> bool:
        """Count a booking request from a client address."""
        return self.allow(f"ip:{host}")

    def allow_phone(self, phone: str) -> bool:
        """Count a booking request for a phone number, however it was typed."""
        return self.allow("phone:" + "".join(c for c in phone if c.isdigit()))

    def allow_login(self, host: str, limit: int) -> bool:
        """Count a login attempt from a client address (API or form), against ``limit``."""
        return self.allow(f"login:{host}", limit)

    def _sweep(self, now: float) -> None:
        self._last_sweep = now
        stale = [k for k, hits in self._hits.items() if not hits or now - hits[-1] >= WINDOW_S]
        for key in stale:
            del self._hits[key]
