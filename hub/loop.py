"""A daemon thread that works in ticks: now when woken, else every ``interval_s``.

The event followers and the certificate cosigner share it.  A tick that raises is
logged and the loop goes on: a locked database or an unreachable neighbour must not
stop the hub's background work.
"""

from __future__ import annotations

import logging
import threading

log = logging.getLogger(__name__)


class BackgroundLoop:
    """Subclasses implement :meth:`tick`; ``name`` names the thread and its log lines."""

    name = "loop"

    def __init__(self, interval_s: float) -> None:
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._bell = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self) -> bool:
        """One round of work; True when more is waiting (the next tick comes at once)."""
        raise NotImplementedError

    def start(self) -> None:
        """Start the thread."""
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop after the tick in hand."""
        self._stop.set()
        self._bell.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wake(self) -> None:
        """Work is waiting: tick now."""
        self._bell.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._bell.clear()
            try:
                more = self.tick()
            except Exception:
                log.exception("%s failed; retrying", self.name)
                more = False
            if not more:
                self._bell.wait(self._interval_s)
