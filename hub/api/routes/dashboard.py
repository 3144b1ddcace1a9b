"""The operators' dashboard as JSON, the alerts, and their acknowledgement.

Operators and admins only (401 without a login, 403 for officers); acknowledging
also needs the session's CSRF token in ``X-CSRF-Token`` (403).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, status

from hub.api.dashboard_schemas import AlertOut, DashboardOut
from hub.api.deps import (
    AlertId,
    AlertsDep,
    OperatorDep,
    OperatorOnly,
    QueueDep,
    SettingsDep,
    StoreDep,
)
from hub.dashboard.snapshot import take
from hub.store.alert_sql import AlertNotFound, AlreadyAcked
from shekara.wire import utc_timestamp

router = APIRouter(tags=["dashboard"], dependencies=[OperatorOnly])


@router.get("/dashboard", response_model=DashboardOut)
def dashboard(
    settings: SettingsDep, store: StoreDep, queue: QueueDep, alerts: AlertsDep
) -> DashboardOut:
    """Queue figures per direction, device health by checkpoint, alerts, dead letters."""
    return DashboardOut.of(take(settings, store, queue, alerts))


@router.get("/alerts", response_model=list[AlertOut])
def list_alerts(
    alerts: AlertsDep,
    state: Annotated[Literal["open", "all"], Query(description="Open ones, or all")] = "open",
    limit: Annotated[int, Query(ge=1, le=1000, description="At most this many (all)")] = 100,
) -> list[AlertOut]:
    """Open alerts oldest first, or every alert newest first (``state=all``)."""
    found = alerts.tables.open_alerts() if state == "open" else alerts.tables.recent(limit)
    return [AlertOut.of(a) for a in found]


@router.post("/alerts/{alert_id}/ack", response_model=AlertOut)
def ack(alert_id: AlertId, alerts: AlertsDep, queue: QueueDep, session: OperatorDep) -> AlertOut:
    """Acknowledge an alert (audited); 404 unknown, 409 acknowledged already."""
    try:
        acked = alerts.tables.ack(alert_id, session.username, utc_timestamp(queue.now()))
    except AlertNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    except AlreadyAcked as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    return AlertOut.of(acked)
