"""A thread that hands each newly stored event to a handler, in order, once per cursor.

The queue and the arrival matcher read lane events from the store, not from MQTT: they
are verified and durable by then, and a cursor kept in the database (the last event
handled) lets each pick up after a restart exactly where it stopped.  On a first start
the cursor is set to the newest stored event, so old events are not replayed into a
fresh database.  The MQTT worker rings :meth:`EventFollower.wake` after each commit,
so an event is handled within milliseconds rather than at the next poll.
"""

from __future__ import annotations

import logging
import threading
import time

from hub.store import EventFilter, Store, StoredEvent
from hub.store.queue_sql import QueueStore

log = logging.getLogger(__name__)

START = "start"


class EventFollower:
    """Follows stored events of ``types`` at one checkpoint; subclasses :meth:`feed` them."""

    name = "follower"
    cursor_key = ""
    types: frozenset[str] = frozenset()

    def __init__(
        self,
        store: Store,
        meta: QueueStore,
        checkpoint: str,
        poll_s: float = 0.5,
        idle_every_s: float = 30.0,
    ) -> None:
        self._store = store
        self._meta = meta
        self._checkpoint = checkpoint
        self._poll_s = poll_s
        self._idle_every_s = idle_every_s
        self._stop = threading.Event()
        self._bell = threading.Event()
        self._thread: threading.Thread | None = None
        self.fed = 0

    def feed(self, event: StoredEvent) -> object:
        """Handle one event (subclasses)."""
        raise NotImplementedError

    def idle(self) -> None:
        """Housekeeping every ``idle_every_s`` (subclasses; nothing by default)."""

    def start(self) -> None:
        """Start the thread."""
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread after the event in hand."""
        self._stop.set()
        self._bell.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wake(self) -> None:
        """New events were stored: look now."""
        self._bell.set()

    def _run(self) -> None:
        last_idle = 0.0
        while not self._stop.is_set():
            self._bell.clear()
            try:
                busy = self.step()
                if time.monotonic() - last_idle >= self._idle_every_s:
                    self.idle()
                    last_idle = time.monotonic()
            except Exception:
                # The follower must outlive a bad event or a locked database.
                log.exception("%s step failed; retrying", self.name)
                busy = 0
            if not busy:
                self._bell.wait(self._poll_s)

    def step(self, limit: int = 200) -> int:
        """Feed the next stored events; returns how many were read."""
        cursor = self._meta.meta(self.cursor_key)
        if cursor is None:
            newest = self._store.query_events(EventFilter(limit=1, descending=True))
            self._meta.set_meta(self.cursor_key, newest[0].event_id if newest else START)
            return 0
        events = self._store.query_events(
            EventFilter(
                checkpoint=self._checkpoint,
                type=next(iter(self.types)) if len(self.types) == 1 else None,
                after_event=None if cursor == START else cursor,
                limit=limit,
            )
        )
        for event in events:
            if event.type in self.types:
                self.feed(event)
                self.fed += 1
            self._meta.set_meta(self.cursor_key, event.event_id)
        return len(events)
