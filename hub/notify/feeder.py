"""Feeds the arrival matcher from stored plate passages and barcode reads."""

from __future__ import annotations

from hub.follower import EventFollower
from hub.notify.arrivals import ArrivalDesk
from hub.store import Store, StoredEvent
from hub.store.arrival_sql import Arrival
from hub.store.queue_sql import QueueStore
from shekara import wire


class ArrivalFeeder(EventFollower):
    """A thread matching each lane read against open notifications as it is stored."""

    name = "arrival-feeder"
    cursor_key = "arrival_event_cursor"
    types = frozenset({wire.EventType.VEHICLE_PASSAGE.value, wire.EventType.BARCODE_READ.value})

    def __init__(
        self, store: Store, meta: QueueStore, checkpoint: str, desk: ArrivalDesk,
        poll_s: float = 0.5,
    ) -> None:  # fmt: skip
        super().__init__(store, meta, checkpoint, poll_s)
        self.desk = desk

    def feed(self, event: StoredEvent) -> Arrival | None:
        """One lane read into its visit."""
        return self.desk.feed(event)
