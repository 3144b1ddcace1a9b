"""GET /api/events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, status

from hub.api.deps import OperatorOnly, StoreDep
from hub.api.schemas import EventOut, EventPage
from hub.store import EventFilter
from shekara.ids import is_ulid
from shekara.wire import utc_timestamp

router = APIRouter(prefix="/events", tags=["events"], dependencies=[OperatorOnly])

MAX_LIMIT = 1000

SINCE_HELP = (
    "Either an event_id: only events the hub stored after that one (a polling cursor that "
    "misses nothing, late events included; an unknown event_id matches nothing); or an "
    "RFC 3339 time with zone: only events the hub stored at or after it (received_at, hub clock)"
)


def _since_filter(since: str | None) -> dict[str, str]:
    if since is None:
        return {}
    if is_ulid(since):
        return {"after_event": since}
    try:
        moment = datetime.fromisoformat(since)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise HTTPException(
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=f"since={since!r} is neither an event_id (ULID) nor an RFC 3339 time with zone",
        )
    return {"since_received": utc_timestamp(moment.astimezone(UTC))}


@router.get("", response_model=EventPage)
def list_events(
    store: StoreDep,
    checkpoint: str | None = None,
    lane: str | None = None,
    event_type: Annotated[str | None, Query(alias="type", description="e.g. barcode.read")] = None,
    device_id: str | None = None,
    since: Annotated[str | None, Query(description=SINCE_HELP)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    order: Annotated[
        Literal["asc", "desc"], Query(description="Hub receive order, oldest or newest first")
    ] = "asc",
) -> EventPage:
    """Verified events, in the order the hub stored them."""
    flt = EventFilter(
        checkpoint=checkpoint,
        lane=lane,
        type=event_type,
        device_id=device_id,
        limit=limit,
        descending=order == "desc",
        **_since_filter(since),
    )
    events = [EventOut.model_validate(e, from_attributes=True) for e in store.query_events(flt)]
    next_since = events[-1].event_id if events and order == "asc" else None
    return EventPage(events=events, next_since=next_since)
