"""One thread for the queue's state changes made through the public booking API.

The queue serialises every change under its lock (:func:`hub.queue.core.serialised`)
and SQLite has one writer anyway.  Sent through the thread pool, a burst of bookings
parks up to 40 threads on that lock, and waking them costs more CPU than the bookings:
``make bench-queue`` served 238 bookings/s that way and 277/s through this single
thread on the same machine (docs/benchmarks.md).  Reads keep the thread pool.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


class SerialWriter:
    """Run blocking calls one at a time, in order, off the event loop."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="queue-writer")

    async def __call__(self, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """``fn(*args, **kwargs)`` on the writer thread; its exception is raised here."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, functools.partial(fn, *args, **kwargs))

    def close(self) -> None:
        """Finish the calls already queued, then stop the thread."""
        self._pool.shutdown(wait=True)
