"""The parts of a running hub, shared by the lifespan and the request handlers."""

from __future__ import annotations

from dataclasses import dataclass

from hub.api.writer import SerialWriter
from hub.cert.setup import CertParts
from hub.config import HubSettings
from hub.dashboard.setup import AlertParts
from hub.follower import EventFollower
from hub.ingest import Ingestor
from hub.mqtt_worker import IngestWorker
from hub.notify.arrivals import ArrivalDesk
from hub.notify.desk import NotifyDesk
from hub.notify.terminal import LaneTerminal
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
    followers: tuple[EventFollower, ...]  # queue and arrival feeders; () for the API only
    limiter: RateLimiter  # booking requests per client address and per phone
    writer: SerialWriter  # the public booking routes' state changes, one at a time
    notify: NotifyDesk  # pre-arrival notifications
    arrivals: ArrivalDesk  # lane reads matched against notifications
    terminal: LaneTerminal  # the officer's view of arrivals, decisions, search
    certs: CertParts  # the certificate log, its checkpoints and cosignatures, the witness
    alerts: AlertParts  # the operators' alerts: rules, evaluator, webhook sender
