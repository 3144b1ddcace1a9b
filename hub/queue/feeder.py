"""Feeds the queue from stored lane events, and keeps its clocks (holds, no-shows) running.

The cursor, restart and wake-up behaviour are :class:`hub.follower.EventFollower`'s.
Feeding one event twice is harmless: a read of a truck already checked in changes
nothing, and an unmatched read is kept once per event.
"""

from __future__ import annotations

import logging

from hub.follower import EventFollower
from hub.queue.journal import parse_time
from hub.queue.service import QueueService
from hub.store import Store, StoredEvent
from shekara import wire

log = logging.getLogger(__name__)


class LaneFeeder(EventFollower):
    """A thread moving bookings along on plate reads, and sweeping expired holds."""

    name = "queue-feeder"
    cursor_key = "lane_event_cursor"
    types = frozenset({wire.EventType.VEHICLE_PASSAGE.value})

    def __init__(
        self, store: Store, service: QueueService, poll_s: float = 0.5, sweep_s: float = 30.0
    ) -> None:
        super().__init__(store, service.store, service.config.checkpoint, poll_s, sweep_s)
        self._service = service

    def idle(self) -> None:
        """Expire holds, mark no-shows, time out trucks that never exited."""
        self._service.sweep()

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
        log.info("passage %s at %s (%s): %s", event.event_id, event.lane, body["plate"], outcome)
        return outcome
