"""The hub process: FastAPI for reading, the MQTT ingest worker for writing.

``create_app`` opens the store and starts the worker in the lifespan, so uvicorn's
graceful shutdown (SIGTERM, Ctrl-C) also acknowledges what is committed and closes
the database cleanly.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from hub.api.main import api_router
from hub.config import HubSettings
from hub.ingest import Ingestor
from hub.mqtt_worker import IngestWorker
from hub.runtime import HubRuntime
from hub.store import Store
from shekara import __version__

log = logging.getLogger(__name__)


def create_app(settings: HubSettings, *, start_worker: bool = True) -> FastAPI:
    """The hub application; ``start_worker=False`` serves the API only (tests)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = Store(settings.db_path, settings.sqlite_synchronous)
        ingestor = Ingestor(store, max_payload_bytes=settings.max_payload_bytes)
        worker = IngestWorker(settings, ingestor) if start_worker else None
        app.state.hub = HubRuntime(settings, store, ingestor, worker)
        log.info("database %s: %d events stored", settings.db_path, store.count_events())
        if worker is not None:
            worker.start()
        try:
            yield
        finally:
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
    return app
