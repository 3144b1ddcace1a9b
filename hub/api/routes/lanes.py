"""The officer's terminal API: a lane's arrival, live; decisions; search."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Response, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from hub.api.deps import After, ArrivalId, OfficerDep, RuntimeDep, SessionDep
from hub.notify.decisions import Action, SealState
from hub.runtime import HubRuntime

router = APIRouter(tags=["officer terminal"])
KEEPALIVE_S = 15.0


class DecisionIn(BaseModel):
    """The officer's decision on an arrival."""

    action: Action
    remarks: str = Field("", max_length=500)
    seals: SealState = SealState.NOT_CHECKED
    item_remarks: dict[str, str] = Field(
        default_factory=dict, description="Remark per container, seal or SSCC code"
    )


def _lane(runtime: HubRuntime, lane: str) -> str:
    if runtime.queue.config.lane_role(lane) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no lane {lane!r} at this checkpoint")
    return lane


@router.get("/lanes/{lane}/arrival")
def arrival(lane: str, runtime: RuntimeDep, session: SessionDep) -> dict[str, object]:
    """The lane's current arrival: readings, codes, evidence, match, notification, booking."""
    return runtime.terminal.view(_lane(runtime, lane))


@router.get("/lanes/{lane}/live", response_class=StreamingResponse)
async def live(lane: str, runtime: RuntimeDep, session: SessionDep) -> StreamingResponse:
    """Server-sent events: the lane's arrival now, then again on every change."""
    await run_in_threadpool(_lane, runtime, lane)
    return StreamingResponse(
        _stream(runtime, lane), media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )  # fmt: skip


async def _stream(runtime: HubRuntime, lane: str) -> AsyncIterator[str]:
    changed, unsubscribe = runtime.arrivals.bell.subscribe(lane)
    try:
        while True:
            changed.clear()
            view = await run_in_threadpool(runtime.terminal.view, lane)
            yield f"event: arrival\ndata: {json.dumps(view, ensure_ascii=False)}\n\n"
            while not changed.is_set():
                try:
                    await asyncio.wait_for(changed.wait(), KEEPALIVE_S)
                except TimeoutError:
                    yield ": keep-alive\n\n"  # proxies drop silent connections
    finally:
        unsubscribe()


@router.get("/evidence/{sha256}", response_class=Response)
def evidence(
    sha256: Annotated[str, Path(pattern="^[0-9a-f]{64}$")], runtime: RuntimeDep,
    session: SessionDep,
) -> Response:  # fmt: skip
    """An evidence crop a lane device sent; its SHA-256 is in the signed passage."""
    found = runtime.store.evidence(sha256)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such crop here (yet)")
    media_type, data = found
    # Named by its hash: it never changes, so the browser may keep it.
    return Response(data, media_type=media_type,
                    headers={"Cache-Control": "private, max-age=31536000, immutable"})  # fmt: skip


@router.post("/arrivals/{arrival_id}/decision")
def decide(
    arrival_id: ArrivalId, body: DecisionIn, runtime: RuntimeDep, session: OfficerDep
) -> dict[str, object]:
    """Release, hold for inspection or refuse; recorded with the evidence, moves the queue."""
    return runtime.terminal.decide(arrival_id, body.action, session.username, body.remarks,
                                   body.seals, body.item_remarks)  # fmt: skip


@router.get("/search")
def search(
    runtime: RuntimeDep, session: SessionDep,
    q: Annotated[str, Query(min_length=3, max_length=40)],
) -> dict[str, object]:  # fmt: skip
    """Recent arrivals and notifications by plate, container or SSCC."""
    return runtime.terminal.search(q)


@router.get("/decisions")
def decisions(
    runtime: RuntimeDep, session: SessionDep,
    after: After = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, object]]:  # fmt: skip
    """The decision log after seq ``after``: each entry with its prev and hash."""
    return [{"seq": seq, "prev": prev, "hash": digest, "body": body}
            for seq, prev, digest, body in runtime.arrivals.arrivals.decisions(None, after,
                                                                              limit)]  # fmt: skip
