"""The officers' and operators' queue API: call, skip, inspect, decide, capacity, walk-ins.

Every route needs a login (401); every change also needs the session's CSRF token in
``X-CSRF-Token`` (403); setting capacity needs the operator role (403).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status

from hub.api.deps import OfficerDep, OperatorDep, QueueDep, SessionDep
from hub.api.queue_schemas import (
    BookingOut,
    CallIn,
    CapacityIn,
    ChurnOut,
    DecisionIn,
    ReasonIn,
    Reference,
    WaitingOut,
    WalkInIn,
)
from shekara.wire import utc_timestamp

router = APIRouter(prefix="/queue", tags=["queue: officers"])


@router.get("/waiting", response_model=list[WaitingOut])
def waiting(queue: QueueDep, session: SessionDep, direction: str) -> list[WaitingOut]:
    """The line in call order, with plates."""
    out = []
    for w in queue.waiting_order(direction):
        b = queue.get(w.booking)
        out.append(WaitingOut(booking=b.booking, tractor=f"{b.tractor.text} {b.tractor.country}",
                              category=b.category, stream=b.stream, slot=b.slot,
                              queued_at=b.queued_at))  # fmt: skip
    return out


@router.post("/call", response_model=BookingOut)
def call(body: CallIn, queue: QueueDep, session: OfficerDep) -> BookingOut:
    """Call the next truck (by the published order) to a lane; 404 when nobody waits."""
    called = queue.call_next(body.direction, body.lane, session.username)
    if called is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "nobody is waiting")
    return BookingOut.of(called)


@router.post("/trucks/{booking}/skip", response_model=BookingOut)
def skip(booking: str, body: ReasonIn, queue: QueueDep, session: OfficerDep) -> BookingOut:
    """Pass over a waiting truck, with a reason; it goes to the end of the live stream."""
    queue.get(booking)
    return BookingOut.of(queue.skip(booking, body.reason, session.username))


@router.post("/trucks/{booking}/inspect", response_model=BookingOut)
def inspect(booking: str, queue: QueueDep, session: OfficerDep) -> BookingOut:
    """Send a called truck to inspection."""
    queue.get(booking)
    return BookingOut.of(queue.inspect(booking, session.username))


@router.post("/trucks/{booking}/decide", response_model=BookingOut)
def decide(booking: str, body: DecisionIn, queue: QueueDep, session: OfficerDep) -> BookingOut:
    """Cleared or refused; the lane it frees calls the next truck."""
    queue.get(booking)
    return BookingOut.of(queue.decide(booking, body.cleared, body.reason, session.username))


@router.post("/capacity", status_code=204)
def set_capacity(body: CapacityIn, queue: QueueDep, session: OperatorDep) -> None:
    """Set one hour's slots of one category (operators)."""
    queue.set_capacity(body.direction, body.category, body.hour, body.slots, session.username)


@router.post("/walk-ins", response_model=Reference, status_code=201)
def walk_in(body: WalkInIn, queue: QueueDep, session: OfficerDep) -> Reference:
    """Register a truck without a booking at the waiting zone (the live stream)."""
    reference, booking = queue.walk_in(
        body.direction, body.category, (body.tractor.plate, body.tractor.country),
        [(t.plate, t.country) for t in body.trailers], body.driver_name, body.phone,
        body.carrier, session.username,
    )  # fmt: skip
    return Reference(reference=reference, booking=BookingOut.of(booking))


@router.get("/churn", response_model=list[ChurnOut])
def churn(
    queue: QueueDep, session: SessionDep, days: Annotated[int, Query(ge=1, le=365)] = 30
) -> list[ChurnOut]:
    """Tractors with cancellations or driver changes in the last ``days`` (resale signs)."""
    since = utc_timestamp(queue.now() - timedelta(days=days))
    return [ChurnOut(tractor=f"{p} {c}", cancellations=n, driver_changes=d)
            for p, c, n, d in queue.store.churn(since)]  # fmt: skip


@router.get("/unmatched")
def unmatched(
    queue: QueueDep, session: SessionDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[dict[str, object]]:
    """Plate reads no booking explains (trucks without a booking), newest first."""
    return [asdict(r) for r in queue.store.unmatched(limit)]
