"""Feeds the queue from stored lane events, and keeps its clocks (holds, no-shows) running.

The queue reads ``vehicle.passage`` events from the store, not from MQTT: they are
verified and durable by then, and a cursor kept in the database (the last event
fed) lets the queue pick up after a restart exactly where it stopped.  Feeding one
event twice is harmless: a read of a truck already checked in changes nothing, and
an unmatched read is kept once per event.  On its first start the cursor is set to
the newest stored event, so old passages are not replayed into a fresh queue.
"""

from __future__ import annotations

import logging
import threading
import time

from hub.queue.journal import parse_time
from hub.queue.service import QueueService
from hub.store import EventFilter, Store, StoredEvent
from shekara import wire

log = logging.getLogger(__name__)

CURSOR = "lane_event_cursor"
START = "start"


class LaneFeeder:
    """A thread moving bookings along on plate reads, and sweeping expired holds."""

    def __init__(
        self,
        store: Store,
        service: QueueService,
        poll_s: float = 0.5,
        sweep_s: float = 30.0,
    ) -> None:
        self._store = store
        self._service = service
        self._poll_s = poll_s
        self._sweep_s = sweep_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.fed = 0

    def start(self) -> None:
        """Start the thread."""
        self._thread = threading.Thread(target=self._run, name="queue-feeder", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread after the event in hand."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        last_sweep = 0.0
        while not self._stop.is_set():
            try:
                busy = self.step()
                if time.monotonic() - last_sweep >= self._sweep_s:
                    self._service.sweep()
                    last_sweep = time.monotonic()
            except Exception:
                # The queue must outlive a bad event or a locked database.
                log.exception("queue feeder step failed; retrying")
                busy = 0
            if not busy:
                self._stop.wait(self._poll_s)

    def step(self, limit: int = 200) -> int:
        """Feed the next stored passages to the queue; returns how many."""
        queue = self._service.store
        cursor = queue.meta(CURSOR)
        if cursor is None:
            newest = self._store.query_events(EventFilter(limit=1, descending=True))
            queue.set_meta(CURSOR, newest[0].event_id if newest else START)
            return 0
        events = self._store.query_events(
            EventFilter(
                checkpoint=self._service.config.checkpoint,
                type=wire.EventType.VEHICLE_PASSAGE,
                after_event=None if cursor == START else cursor,
                limit=limit,
            )
        )
        for event in events:
            self.feed(event)
            queue.set_meta(CURSOR, event.event_id)
        return len(events)

    def feed(self, event: StoredEvent) -> str:
        """One passage to the queue; a failure is logged and kept as an unmatched read."""
        body = event.body
        plates = [body["plate"], *(c["text"] for c in body.get("candidates", []))]
        try:
            outcome = self._service.on_passage(
                event.event_id, event.lane, list(dict.fromkeys(plates)), body.get("country"),
                parse_time(body["first_seen"]),
            )  # fmt: skip
        except Exception as exc:
            log.exception("passage %s could not be applied", event.event_id)
            outcome = f"error: {exc}"
            self._service.store.add_unmatched(
                event.event_id, event.lane, "unknown", str(body.get("plate", "")),
                body.get("country"), outcome[:200], event.received_at,
            )  # fmt: skip
        self.fed += 1
        log.info("passage %s at %s (%s): %s", event.event_id, event.lane, body["plate"], outcome)
        return outcome
