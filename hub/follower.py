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
import time

from hub.loop import BackgroundLoop
from hub.store import EventFilter, Store, StoredEvent
from hub.store.queue_sql import QueueStore

log = logging.getLogger(__name__)

START = "start"


class EventFollower(BackgroundLoop):
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
        super().__init__(poll_s)
        self._store = store
        self._meta = meta
        self._checkpoint = checkpoint
        self._idle_every_s = idle_every_s
        self._last_idle = 0.0
        self.fed = 0

    def feed(self, event: StoredEvent) -> object:
        """Handle one event (subclasses)."""
        raise NotImplementedError

    def idle(self) -> None:
        """Housekeeping every ``idle_every_s`` (subclasses; nothing by default)."""

    def tick(self) -> bool:
        """Feed what is waiting, and do the housekeeping when it is due."""
        busy = self.step()
        if time.monotonic() - self._last_idle >= self._idle_every_s:
            self.idle()
            self._last_idle = time.monotonic()
        return busy > 0

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
