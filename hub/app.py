"""The hub process: FastAPI for reading, the MQTT ingest worker for writing.

``create_app`` opens the store and starts the worker in the lifespan, so uvicorn's
graceful shutdown (SIGTERM, Ctrl-C) also acknowledges what is committed and closes
the database cleanly.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from hub.api.main import api_router
from hub.api.writer import SerialWriter
from hub.cert import setup as cert_setup
from hub.config import HubSettings
from hub.dashboard import setup as alert_setup
from hub.follower import EventFollower
from hub.ingest import Ingestor
from hub.metrics import HubMetrics
from hub.metrics import router as metrics_router
from hub.mqtt_worker import IngestWorker
from hub.notify.arrivals import ArrivalDesk, LaneBell
from hub.notify.desk import NotifyDesk
from hub.notify.feeder import ArrivalFeeder
from hub.notify.terminal import LaneTerminal
from hub.queue.feeder import LaneFeeder
from hub.queue.policy import load_queue_config
from hub.queue.ratelimit import RateLimiter
from hub.queue.records import QueueError
from hub.queue.service import QueueService, journal_key
from hub.runtime import HubRuntime
from hub.store import Store
from hub.store.arrival_sql import ArrivalTables
from hub.store.notify_sql import NotifyStore
from hub.store.queue_sql import QueueStore
from hub.web import carrier as carrier_pages
from hub.web import certificates as certificate_pages
from hub.web import dashboard as dashboard_pages
from hub.web import officer, pages
from hub.web import terminal as terminal_pages
from hub.web.headers import SecurityHeaders, docs_enabled
from shekara import __version__

log = logging.getLogger(__name__)


def create_app(
    settings: HubSettings,
    *,
    start_worker: bool = True,
    clock: Callable[[], datetime] | None = None,
) -> FastAPI:
    """The hub application; ``start_worker=False`` serves the API only (tests).

    ``clock`` replaces the queue's clock (tests that move time by hand).
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = Store(settings.db_path, settings.sqlite_synchronous)
        ingestor = Ingestor(store, max_payload_bytes=settings.max_payload_bytes)
        worker = IngestWorker(settings, ingestor) if start_worker else None
        queue_store = QueueStore(store)
        queue = QueueService(
            queue_store, load_queue_config(settings.queue_config),
            journal_key(settings, queue_store), clock or (lambda: datetime.now(UTC)),
        )  # fmt: skip
        queue.publish_policy()
        limiter = RateLimiter(queue.config.rate_per_minute)
        writer = SerialWriter()
        notify_store = NotifyStore(store)
        notify = NotifyDesk(notify_store, queue, settings.notify_deadline_hours, queue.now)
        arrivals = ArrivalDesk(notify_store, ArrivalTables(store), LaneBell())
        followers: tuple[EventFollower, ...] = ()
        if start_worker:
            followers = (
                LaneFeeder(store, queue),
                ArrivalFeeder(store, queue_store, queue.config.checkpoint, arrivals),
            )
        certs = cert_setup.build(settings, store, queue.now)
        terminal = LaneTerminal(notify_store, arrivals.arrivals, queue, arrivals.bell,
                                certs.desk)  # fmt: skip
        app.state.hub = HubRuntime(
            settings, store, ingestor, worker, queue, followers, limiter, writer, notify,
            arrivals, terminal, certs, alert_setup.build(settings, store, queue),
        )  # fmt: skip
        app.state.metrics.watch(ingestor, store, queue, worker)
        log.info("database %s: %d events stored", settings.db_path, store.count_events())
        for follower in followers:
            follower.start()
            if worker is not None:
                worker.listeners.append(follower.wake)
        if worker is not None:
            worker.start()
            certs.cosigner.start()
            app.state.hub.alerts.start()
        try:
            yield
        finally:
            app.state.hub.alerts.stop()
            certs.cosigner.stop()
            for follower in followers:
                follower.stop()
            if worker is not None:
                worker.stop()
            writer.close()
            app.state.metrics.unwatch()
            store.close()
            log.info("hub stopped")

    app = FastAPI(
        title="Shekara hub",
        version=__version__,
        summary="Signed lane events from checkpoint devices, verified and stored",
        lifespan=lifespan,
        docs_url="/docs" if docs_enabled(settings) else None,
        redoc_url="/redoc" if docs_enabled(settings) else None,
    )
    app.add_middleware(SecurityHeaders, docs=docs_enabled(settings))
    app.state.metrics = HubMetrics(settings.checkpoint)  # its own registry, per app
    if settings.env == "production" and settings.metrics_token is None:
        log.warning("metrics_token is not set: /metrics is not served (docs/observability.md)")
    app.include_router(api_router)
    app.include_router(metrics_router)
    app.include_router(pages.router)
    app.include_router(officer.router)
    app.include_router(terminal_pages.router)
    app.include_router(carrier_pages.router)
    app.include_router(certificate_pages.router)
    app.include_router(dashboard_pages.router)
    app.mount("/static", StaticFiles(directory=Path(pages.__file__).with_name("static")),
              name="static")  # fmt: skip

    @app.exception_handler(QueueError)
    async def refused(request: Request, exc: QueueError) -> JSONResponse:
        """A rule refused the request: its code, the message and the field at fault."""
        return JSONResponse(
            {"detail": str(exc), "code": exc.code, **exc.details}, status_code=exc.status
        )

    return app
