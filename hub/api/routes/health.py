"""GET /healthz."""

from __future__ import annotations

import sqlite3

from fastapi import APIRouter, Response, status

from hub.api.deps import RuntimeDep
from hub.api.schemas import CounterOut, Health, MqttHealth, TotalsOut
from hub.store import StoreError

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
def healthz(hub: RuntimeDep, response: Response) -> Health:
    """Database and broker state, and outcome counters (503 when the database fails)."""
    s, worker, c = hub.settings, hub.worker, hub.ingestor.counters
    totals = None
    try:
        hub.store.ping()
        totals = TotalsOut(
            devices=hub.store.count_devices(),
            events=hub.store.count_events(),
            dead_letters=hub.store.count_dead_letters(),
        )
        db = "ok"
    except (sqlite3.Error, StoreError) as exc:
        db = f"error: {exc}"
    mqtt = MqttHealth(
        enabled=worker is not None,
        connected=worker is not None and worker.connected,
        broker=f"{s.mqtt_host}:{s.mqtt_port}",
        queue_depth=worker.queue_depth() if worker else 0,
        resends_sent=worker.resends_sent if worker else 0,
    )
    state: str = "ok"
    if db != "ok":
        state = "error"
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    elif mqtt.enabled and not mqtt.connected:
        state = "degraded"
    counters = CounterOut(
        stored=c.stored,
        duplicates=c.duplicates,
        dead_letters=c.dead_letters,
        presence=c.presence,
        stale=c.stale,
        batches=c.batches,
        dead_letters_by_reason=dict(c.by_reason),
    )
    return Health.model_validate(
        {"status": state, "db": db, "mqtt": mqtt, "counters": counters, "totals": totals}
    )
