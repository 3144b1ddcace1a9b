"""GET /api/dead-letters."""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Query

from hub.api.deps import OperatorOnly, StoreDep
from hub.api.schemas import DeadLetterOut
from hub.ingest import DEAD_LETTER_CAP

router = APIRouter(prefix="/dead-letters", tags=["dead letters"], dependencies=[OperatorOnly])


@router.get("", response_model=list[DeadLetterOut])
def list_dead_letters(
    store: StoreDep,
    reason: Annotated[str | None, Query(description="Only this reason")] = None,
    device_id: Annotated[str | None, Query(description="Only this (claimed) device")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    preview_bytes: Annotated[
        int, Query(ge=0, le=DEAD_LETTER_CAP, description="Payload bytes to show, base64")
    ] = 256,
) -> list[DeadLetterOut]:
    """Rejected messages, newest first, with why and a payload preview."""
    return [
        DeadLetterOut(
            id=d.id,
            received_at=d.received_at,
            topic=d.topic,
            reason=d.reason,
            detail=d.detail,
            device_id=d.device_id,
            size=d.payload_size,
            sha256=d.payload_sha256,
            stored_bytes=len(d.payload),
            payload_preview_b64=base64.b64encode(d.payload[:preview_bytes]).decode("ascii"),
        )
        for d in store.list_dead_letters(reason, limit, device_id)
    ]
