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
from hub.config import HubSettings
from hub.ingest import Ingestor
from hub.mqtt_worker import IngestWorker
from hub.queue.feeder import LaneFeeder
from hub.queue.policy import load_queue_config
from hub.queue.ratelimit import RateLimiter
from hub.queue.records import QueueError
from hub.queue.service import QueueService, journal_key
from hub.runtime import HubRuntime
from hub.store import Store
from hub.store.queue_sql import QueueStore
from hub.web import officer, pages
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
        feeder = LaneFeeder(store, queue) if start_worker else None
        limiter = RateLimiter(queue.config.rate_per_minute)
        app.state.hub = HubRuntime(settings, store, ingestor, worker, queue, feeder, limiter)
        log.info("database %s: %d events stored", settings.db_path, store.count_events())
        if worker is not None:
            worker.start()
        if feeder is not None:
            feeder.start()
        try:
            yield
        finally:
            if feeder is not None:
                feeder.stop()
            if worker is not None:
                worker.stop()
            store.close()
            log.info("hub stopped")

    app = FastAPI(
        title="Shekara hub",
        version=__version__,
        summary="Signed lane events from checkpoint devices, verified and stored",
        lifespan=lifespan,
    )
    app.include_router(api_router)
    app.include_router(pages.router)
    app.include_router(officer.router)
    app.mount("/static", StaticFiles(directory=Path(pages.__file__).with_name("static")),
              name="static")  # fmt: skip

    @app.exception_handler(QueueError)
    async def refused(request: Request, exc: QueueError) -> JSONResponse:
        """A rule refused the request: its code, the message and the field at fault."""
        return JSONResponse(
            {"detail": str(exc), "code": exc.code, **exc.details}, status_code=exc.status
        )

    return app
