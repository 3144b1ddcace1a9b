"""The queue's public API: slots, booking by reference, the board and the journal."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from hub.api.deps import After, ClientLimit, QueueDep, RuntimeDep, WriterDep
from hub.api.queue_schemas import (
    BoardOut,
    BookingIn,
    BookingOut,
    CalledOut,
    DirectionOut,
    DriverChangeIn,
    DriverIn,
    HoldIn,
    Reference,
    RescheduleIn,
    SlotOut,
    StatsOut,
    StatusOut,
    VerifyOut,
)
from hub.queue import views
from hub.queue.journal import Entry, JournalError, verify
from hub.queue.records import RateLimited

router = APIRouter(prefix="/queue", tags=["queue"])


def _phone_limit(runtime: RuntimeDep, phone: str) -> None:
    if not runtime.limiter.allow_phone(phone):
        raise RateLimited("too many requests for this phone number; wait a minute")


@router.get("/directions", response_model=list[DirectionOut])
def directions(queue: QueueDep) -> list[DirectionOut]:
    """The checkpoint's directions of traffic."""
    return [DirectionOut(id=d.id, name=d.name, entry_lanes=list(d.entry_lanes))
            for d in queue.config.directions]  # fmt: skip


@router.get("/slots", response_model=list[SlotOut])
def slots(
    queue: QueueDep, direction: str, day: Annotated[date | None, Query(alias="date")] = None
) -> list[SlotOut]:
    """Capacity and free slots per hour and category for one local day."""
    day = day or queue.now().astimezone(queue.config.zone).date()
    return [SlotOut.of(v) for v in queue.slots(direction, queue.local_day_hours(day))]


@router.post("/holds", response_model=Reference, status_code=201, dependencies=[ClientLimit])
async def hold(body: HoldIn, queue: QueueDep, write: WriterDep) -> Reference:
    """Hold a slot for a few minutes; complete it with POST .../{reference}/complete."""
    reference, booking = await write(
        queue.hold, body.direction, body.category, body.slot,
        (body.tractor.plate, body.tractor.country),
        [(t.plate, t.country) for t in body.trailers], "api",
    )  # fmt: skip
    return Reference(reference=reference, booking=BookingOut.of(booking))


@router.post(
    "/bookings/{reference}/complete", response_model=BookingOut, dependencies=[ClientLimit]
)
async def complete(
    reference: str, body: DriverIn, queue: QueueDep, runtime: RuntimeDep, write: WriterDep
) -> BookingOut:
    """Turn a hold into a booking with the driver's details."""
    _phone_limit(runtime, body.phone)
    booking = await write(queue.complete, reference, body.driver_name, body.phone, body.carrier)
    return BookingOut.of(booking)


@router.post("/bookings", response_model=Reference, status_code=201, dependencies=[ClientLimit])
async def book(
    body: BookingIn, queue: QueueDep, runtime: RuntimeDep, write: WriterDep
) -> Reference:
    """Book in one call."""
    _phone_limit(runtime, body.phone)
    reference, booking = await write(
        queue.book, body.direction, body.category, body.slot,
        (body.tractor.plate, body.tractor.country), [(t.plate, t.country) for t in body.trailers],
        body.driver_name, body.phone, body.carrier, "api",
    )  # fmt: skip
    return Reference(reference=reference, booking=BookingOut.of(booking))


# Not rate-limited: pages poll it, drivers behind one yard's NAT share an address, and
# 80 random bits are not guessed by asking faster.
@router.get("/bookings/{reference}", response_model=StatusOut)
async def status(reference: str, queue: QueueDep) -> StatusOut:
    """A booking with its position and estimated call time (404 for an unknown reference)."""
    # async with one explicit hop: a sync route would take a second one to check the response
    return StatusOut.of(await run_in_threadpool(queue.status, reference))


@router.post("/bookings/{reference}/cancel", response_model=BookingOut, dependencies=[ClientLimit])
async def cancel(reference: str, queue: QueueDep, write: WriterDep) -> BookingOut:
    """Cancel (refused within the cutoff before the slot)."""
    return BookingOut.of(await write(queue.cancel, reference))


@router.post(
    "/bookings/{reference}/reschedule", response_model=BookingOut, dependencies=[ClientLimit]
)
async def reschedule(
    reference: str, body: RescheduleIn, queue: QueueDep, write: WriterDep
) -> BookingOut:
    """Move to another hour; the plates stay."""
    return BookingOut.of(await write(queue.reschedule, reference, body.slot))


@router.post("/bookings/{reference}/driver", response_model=BookingOut, dependencies=[ClientLimit])
async def change_driver(
    reference: str,
    body: DriverChangeIn,
    queue: QueueDep,
    runtime: RuntimeDep,
    write: WriterDep,
) -> BookingOut:
    """Hand the booking to another driver (counted; see docs/queue.md)."""
    _phone_limit(runtime, body.phone)
    booking = await write(queue.change_driver, reference, body.driver_name, body.phone)
    return BookingOut.of(booking)


@router.get("/board", response_model=BoardOut)
def board(queue: QueueDep, direction: str) -> BoardOut:
    """Called plates with their lanes, the line per category, the current wait."""
    b = views.board(queue, direction)
    return BoardOut(
        direction=direction,
        called=[
            CalledOut(tractor=c.tractor.text, lane=c.lane, called_at=c.called_at, state=c.state)
            for c in b.called
        ],
        waiting_by_category=b.waiting_by_category,
        current_wait_minutes=b.current_wait_minutes,
    )


@router.get("/stats", response_model=StatsOut)
def stats(queue: QueueDep, direction: str) -> StatsOut:
    """Length of the line, free slots by hour today, average wait today."""
    s = views.stats(queue, direction)
    return StatsOut(direction=direction, waiting=s.waiting, free_by_hour=s.free_by_hour,
                    average_wait_minutes_today=s.average_wait_minutes)  # fmt: skip


@router.get("/journal")
def journal(
    queue: QueueDep,
    after: After = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> list[dict[str, object]]:
    """Journal entries after seq ``after``: anyone can verify them offline."""
    return [e.to_json() for e in queue.store.journal(after, limit)]


@router.get("/journal/verify", response_model=VerifyOut)
def verify_journal(queue: QueueDep) -> VerifyOut:
    """Check the whole journal: intact, and every call in the published order."""
    entries: list[Entry] = []
    after = 0
    while page := queue.store.journal(after, 10_000):
        entries += page
        after = page[-1].seq
    try:
        verdict = verify(entries)
    except JournalError as exc:
        return VerifyOut(ok=False, entries=len(entries), calls=0, head=None, error=str(exc))
    policy = queue.store.last_entry("policy")
    return VerifyOut(ok=True, entries=verdict.entries, calls=verdict.calls, head=verdict.head,
                     policy=policy.data["config"] if policy else None)  # fmt: skip
