"""Plain records and refusals of the notification desk; no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from hub.queue.records import QueueError


class NotificationState(StrEnum):
    """Where a notification stands: open until an officer's decision closes it."""

    OPEN = "open"
    RELEASED = "released"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


class KeyKind(StrEnum):
    """The identifiers of a notification that a lane can see, indexed for lookup."""

    TRACTOR = "tractor"  # confusion-folded plate text
    TRAILER = "trailer"
    NEAR = "near"  # a folded plate with one character deleted: finds one-edit misreads
    CONTAINER = "container"
    SEAL = "seal"
    SSCC = "sscc"


# QueueError is the hub's refusal base: its handler turns any of these into JSON
# {"detail", "code", field…} with the status below.
class DeadlineMissed(QueueError):
    """Received too close to (or after) the start of the ETA window."""

    code = "deadline_missed"
    status = 422


class AmendmentOutOfOrder(QueueError):
    """An amendment number other than the next one, or a first version that is not 0."""

    code = "amendment_out_of_order"
    status = 409


class NotificationClosed(QueueError):
    """The notification was decided or withdrawn; it takes no more amendments."""

    code = "notification_closed"
    status = 409


class UnknownReference(QueueError):
    """A reference (booking, crossing, direction) that does not exist here."""

    code = "unknown_reference"
    status = 422


@dataclass(frozen=True, slots=True)
class NewVersion:
    """One version of a notification, ready to store."""

    submitter: str
    notification: str
    amendment: int
    received_at: str
    submitted_at: str
    direction: str
    eta_from: str
    eta_to: str
    booking: str | None  # the queue's booking id (SHA-256 of the reference)
    body: dict[str, Any]  # the validated notification, canonical
    digest: str  # SHA-256 of the body's JCS bytes
    keys: tuple[tuple[KeyKind, str], ...]


@dataclass(frozen=True, slots=True)
class StoredVersion:
    """One stored version, with the state of its notification."""

    id: int
    submitter: str
    notification: str
    amendment: int
    received_at: str
    submitted_at: str
    direction: str
    eta_from: str
    eta_to: str
    booking: str | None
    body: dict[str, Any]
    digest: str
    state: NotificationState
    latest: bool  # the version in force now
