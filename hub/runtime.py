"""The parts of a running hub, shared by the lifespan and the request handlers."""

from __future__ import annotations

from dataclasses import dataclass

from hub.config import HubSettings
from hub.ingest import Ingestor
from hub.mqtt_worker import IngestWorker
from hub.queue.feeder import LaneFeeder
from hub.queue.ratelimit import RateLimiter
from hub.queue.service import QueueService
from hub.store import Store


@dataclass(slots=True)
class HubRuntime:
    """What the handlers reach through ``app.state.hub``."""

    settings: HubSettings
    store: Store
    ingestor: Ingestor
    worker: IngestWorker | None  # None when the app serves the API only
    queue: QueueService
    feeder: LaneFeeder | None  # None when the app serves the API only
    limiter: RateLimiter  # booking requests per client address and per phone
