"""The notification desk: take a carrier's notification or amendment, refuse it whole.

Checks beyond the form (:mod:`hub.notify.model`), in this order, each a refusal that
stores nothing:

1. the crossing and direction are this hub's (:class:`UnknownReference`);
2. a booking reference, when given, exists in the queue (:class:`UnknownReference`);
3. a first version (amendment 0) arrives at least ``deadline_hours`` before the ETA
   window opens, by the hub's clock, not the carrier's (:class:`DeadlineMissed`);
   amendments are taken until a decision closes the notification;
4. amendments come in order, 0, 1, 2… (:class:`AmendmentOutOfOrder`, checked in the
   store's transaction).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from hub.notify.match import plate_keys
from hub.notify.model import NotificationIn
from hub.notify.records import (
    DeadlineMissed,
    KeyKind,
    NewVersion,
    StoredVersion,
    UnknownReference,
)
from hub.queue.core import clean_reference
from hub.queue.journal import booking_id
from hub.queue.records import NotFound
from hub.queue.service import QueueService
from hub.store.notify_sql import NotifyStore
from shekara.jcs import canonical_bytes
from shekara.wire import utc_timestamp


def token_hash(token: str) -> str:
    """What is stored of a carrier's API token."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """A fresh carrier API token (256 random bits)."""
    return "shk_" + secrets.token_urlsafe(32)


def _minutes(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    sign, minutes = ("-" if minutes < 0 else ""), abs(minutes)
    return f"{sign}{minutes // 60} h {minutes % 60:02d} min"


def index_keys(n: NotificationIn) -> tuple[tuple[KeyKind, str], ...]:
    """What a lane can see of a notification, as lookup keys."""
    keys = plate_keys(n.conveyance.tractor.plate, KeyKind.TRACTOR)
    for trailer in n.conveyance.trailers:
        keys += plate_keys(trailer.plate, KeyKind.TRAILER)
    keys += [(KeyKind.CONTAINER, c) for c in n.equipment.containers]
    keys += [(KeyKind.SEAL, s) for s in n.equipment.seals]
    keys += [(KeyKind.SSCC, s) for s in n.ssccs()]
    return tuple(dict.fromkeys(keys))


class NotifyDesk:
    """Takes notifications for one checkpoint."""

    def __init__(
        self,
        store: NotifyStore,
        queue: QueueService,
        deadline_hours: float = 2.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.queue = queue
        self.deadline = timedelta(hours=deadline_hours)
        self._clock = clock

    def submit(self, n: NotificationIn, submitter: str) -> StoredVersion:
        """Check and store one version; raises a refusal saying which field is wrong."""
        now = self._clock()
        config = self.queue.config
        if n.crossing != config.checkpoint:
            raise UnknownReference(
                f"this hub serves crossing {config.checkpoint!r}, not {n.crossing!r}",
                field="crossing",
            )
        if n.direction not in {d.id for d in config.directions}:
            known = ", ".join(d.id for d in config.directions)
            raise UnknownReference(
                f"direction {n.direction!r} is not one of {known}", field="direction"
            )
        booking = self._booking(n)
        if n.amendment == 0 and n.eta.earliest - now < self.deadline:
            raise DeadlineMissed(
                f"deadline missed: received {_minutes(n.eta.earliest - now)} before the ETA "
                f"window opens; at least {_minutes(self.deadline)} are required",
                field="eta.earliest",
            )
        body = n.model_dump(mode="json")
        return self.store.add_version(
            NewVersion(
                submitter=submitter, notification=n.notification_id, amendment=n.amendment,
                received_at=utc_timestamp(now), submitted_at=utc_timestamp(n.submitted_at),
                direction=n.direction, eta_from=utc_timestamp(n.eta.earliest),
                eta_to=utc_timestamp(n.eta.latest), booking=booking, body=body,
                digest=hashlib.sha256(canonical_bytes(body)).hexdigest(), keys=index_keys(n),
            )
        )  # fmt: skip

    def _booking(self, n: NotificationIn) -> str | None:
        if n.booking_reference is None:
            return None
        try:
            ref_id = booking_id(clean_reference(n.booking_reference))
            booking = self.queue.get(ref_id)
        except NotFound:
            raise UnknownReference(
                f"no queue booking has the reference {n.booking_reference!r}",
                field="booking_reference",
            ) from None
        if booking.direction != n.direction:
            raise UnknownReference(
                f"booking {n.booking_reference} is for direction {booking.direction}",
                field="booking_reference",
            )
        return ref_id
