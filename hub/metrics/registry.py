"""One hub's metrics: its own registry, what ingest counts, what a scrape reads.

Each :class:`HubMetrics` has its own :class:`~prometheus_client.CollectorRegistry`
(never the library's global one), so several hubs can run in one process (tests,
benchmarks) without their figures mixing.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Info, disable_created_metrics
from prometheus_client.process_collector import ProcessCollector

from hub.ingest import Ingestor
from hub.metrics.collectors import HubCollector
from hub.metrics.ingest import IngestMetrics
from hub.mqtt_worker import IngestWorker
from hub.queue.service import QueueService
from hub.store import Store
from shekara import __version__


class HubMetrics:
    """The registry ``/metrics`` exposes, and the parts that fill it."""

    def __init__(self, checkpoint: str | None = None) -> None:
        # A `_created` series beside every counter doubles what Prometheus stores and
        # says nothing a restart's reset does not (a library-wide switch, idempotent).
        disable_created_metrics()  # type: ignore[no-untyped-call]
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)  # CPU, memory, open files of the process
        Info("shekara_hub", "The hub's software version and checkpoint",
             registry=self.registry).info(
            {"version": __version__, "checkpoint": checkpoint or ""}
        )  # fmt: skip
        self.ingest = IngestMetrics(self.registry)
        self._collector: HubCollector | None = None

    def watch(
        self, ingestor: Ingestor, store: Store, queue: QueueService, worker: IngestWorker | None
    ) -> None:
        """Count what ``ingestor`` commits and read the others at each scrape."""
        self.unwatch()
        ingestor.on_commit.append(self.ingest.committed)
        self._collector = HubCollector(store, queue, worker)
        self.registry.register(self._collector)

    def unwatch(self) -> None:
        """Stop reading the store (it is about to close); the counters stay."""
        if self._collector is not None:
            self.registry.unregister(self._collector)
            self._collector = None
