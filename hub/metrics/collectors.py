"""Figures read at scrape time: broker link, stored dead letters, the queue, each device.

Each part reads its source when Prometheus scrapes, so the figures are those of the
database at that moment and survive hub restarts.  A part whose source fails (a locked
or broken database) is left out of that scrape, logged, and counted in
``shekara_hub_metrics_errors_total{part}`` (in that same scrape); the rest of ``/metrics``
is still served.
"""

from __future__ import annotations

import logging
from collections import Counter as Tally
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from hub.mqtt_worker import IngestWorker
from hub.outcome import Reason
from hub.queue.policy import Category, State
from hub.queue.service import QueueService
from hub.store import Store
from hub.store.metrics_sql import dead_letters_by_reason

log = logging.getLogger(__name__)

_DEVICE_LABELS = ["device", "checkpoint", "lane"]


class HubCollector(Collector):
    """The scrape-time part of the hub's metrics."""

    def __init__(self, store: Store, queue: QueueService, worker: IngestWorker | None) -> None:
        self.store, self.queue, self.worker = store, queue, worker
        self._parts: dict[str, Callable[[], Iterable[Metric]]] = {
            "mqtt": self._mqtt,
            "dead_letters": self._dead_letters,
            "queue": self._queue,
            "devices": self._devices,
        }
        self._errors = Tally({part: 0 for part in self._parts})

    def describe(self) -> Iterable[Metric]:
        """Nothing up front: describing would mean reading the database at registration."""
        return []

    def collect(self) -> Iterator[Metric]:
        """Every part that can be read now."""
        for name, part in self._parts.items():
            try:
                families = list(part())  # all of a part, or none of it
            except Exception as exc:
                self._errors[name] += 1
                log.warning("metrics: %s left out of this scrape: %s", name, exc,
                            extra={"part": name})  # fmt: skip
                continue
            yield from families
        errors = CounterMetricFamily(
            "shekara_hub_metrics_errors", "Scrapes that left a part out because its source failed",
            labels=["part"],
        )  # fmt: skip
        for name, count in sorted(self._errors.items()):
            errors.add_metric([name], count)
        yield errors

    def _mqtt(self) -> Iterator[Metric]:
        if self.worker is None:
            return
        yield GaugeMetricFamily(
            "shekara_hub_mqtt_connected", "1 while the broker session is up and subscribed",
            value=1 if self.worker.connected else 0,
        )  # fmt: skip
        yield GaugeMetricFamily(
            "shekara_hub_mqtt_backlog", "MQTT messages received and not yet committed",
            value=self.worker.queue_depth(),
        )  # fmt: skip
        yield CounterMetricFamily(
            "shekara_hub_resends_requested", "Resend commands published to devices since start",
            value=self.worker.resends_sent,
        )  # fmt: skip

    def _dead_letters(self) -> Iterator[Metric]:
        stored = {reason.value: 0 for reason in Reason} | dead_letters_by_reason(self.store)
        family = GaugeMetricFamily(
            "shekara_hub_dead_letters_stored",
            "Dead letters kept in the database, by reason (survives restarts)",
            labels=["reason"],
        )
        for reason, count in sorted(stored.items()):
            family.add_metric([reason], count)
        yield family

    def _queue(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "shekara_hub_queue_waiting",
            "Trucks checked in and waiting to be called, by direction and category",
            labels=["direction", "category"],
        )
        for direction in self.queue.config.directions:
            arrived = self.queue.store.in_states([State.ARRIVED], direction.id)
            waiting = Tally(b.category for b in arrived)
            for category in Category:
                family.add_metric([direction.id, category.value], waiting[category])
        yield family

    def _devices(self) -> Iterator[Metric]:
        online = GaugeMetricFamily(
            "shekara_hub_device_online",
            "1 when the device's last presence was online, 0 offline or never seen",
            labels=_DEVICE_LABELS,
        )
        depth = GaugeMetricFamily(
            "shekara_hub_device_outbox_depth",
            "Events waiting in the device's outbox, as its latest device.status said",
            labels=_DEVICE_LABELS,
        )
        seen = GaugeMetricFamily(
            "shekara_hub_device_last_seen_timestamp_seconds",
            "When the hub last stored an event of the device (Unix time)",
            labels=_DEVICE_LABELS,
        )
        stored = GaugeMetricFamily(
            "shekara_hub_device_events_stored", "Events of the device in the database",
            labels=_DEVICE_LABELS,
        )  # fmt: skip
        for device in self.store.list_devices():
            labels = [device.device_id, device.checkpoint, device.lane]
            online.add_metric(labels, 1 if device.online else 0)
            stored.add_metric(labels, device.stored_count)
            status = device.last_status or {}
            if isinstance(status.get("outbox_depth"), int):
                depth.add_metric(labels, status["outbox_depth"])
            if device.last_seen:
                seen.add_metric(labels, datetime.fromisoformat(device.last_seen).timestamp())
        yield from (online, depth, seen, stored)
