"""Prometheus metrics of one edge agent, on a small HTTP server of its own.

The agent feeds what only it sees as it happens (decode time per stage, frame errors,
events appended); the rest is read from the agent's parts when Prometheus scrapes
(frames, camera state, outbox depth, acknowledgements, disk).  Each agent has its own
:class:`~prometheus_client.CollectorRegistry`, so tests can run several in one process.

The server is ``prometheus_client``'s threaded WSGI server: no authentication, so the
``[metrics]`` host is the loopback or the lane network, never a public address.  A
port that cannot be had is logged as an error and the agent runs on without it.
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, get_args
from wsgiref.simple_server import WSGIServer

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    Info,
    disable_created_metrics,
    start_http_server,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

from edge.capture import CameraState
from edge.config import DeviceConfig, MetricsConfig
from shekara import __version__

if TYPE_CHECKING:
    from edge.agent import Agent

log = logging.getLogger(__name__)

# A barcode pass on a Pi 4 takes a few ms on an empty frame; a plate read with the
# detector 100 ms to 1-2 s.  Above 5 s the lane is falling behind whatever the stage.
DECODE_BUCKETS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0)


def stage_name(processor: object) -> str:
    """The decode stage label of a processor handed to the agent (its own name)."""
    return str(getattr(processor, "__name__", type(processor).__name__))


class EdgeMetrics:
    """The registry of one agent, what it feeds, and its HTTP server."""

    def __init__(self, config: DeviceConfig) -> None:
        # No `_created` series beside each counter, as on the hub.
        disable_created_metrics()  # type: ignore[no-untyped-call]
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)  # CPU, memory, open files of the agent
        Info("shekara_edge", "The device this agent is, and its software version",
             registry=self.registry).info({
            "device": config.device_id, "checkpoint": config.checkpoint, "lane": config.lane,
            "role": config.role, "version": __version__,
        })  # fmt: skip
        self.decode = Histogram(
            "shekara_edge_decode_seconds", "Time one frame spends in a decode stage",
            ["stage"], buckets=DECODE_BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.frame_errors = Counter(
            "shekara_edge_frame_errors", "Frames a decode stage raised on (the lane went on)",
            ["stage"], registry=self.registry,
        )  # fmt: skip
        self.events = Counter(
            "shekara_edge_events_appended", "Events signed into the outbox, by event type",
            ["type"], registry=self.registry,
        )  # fmt: skip
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._collector: AgentCollector | None = None

    def watch(self, agent: Agent, stages: Iterable[str]) -> None:
        """Read ``agent`` at each scrape; ``stages`` are its decode stages (shown at 0)."""
        if self._collector is not None:
            self.registry.unregister(self._collector)
        self._collector = AgentCollector(agent)
        self.registry.register(self._collector)
        for stage in stages:
            self.decode.labels(stage)
            self.frame_errors.labels(stage)

    def decoded(self, stage: str, seconds: float, failed: bool = False) -> None:
        """One frame went through ``stage`` in ``seconds`` (``failed``: it raised)."""
        self.decode.labels(stage).observe(seconds)
        if failed:
            self.frame_errors.labels(stage).inc()

    def appended(self, event_types: Iterable[str]) -> None:
        """Events of these types were committed to the outbox."""
        for event_type in event_types:
            self.events.labels(event_type).inc()

    # --- the HTTP server ----------------------------------------------------------

    @property
    def port(self) -> int | None:
        """The port /metrics is served on, or None when it is not."""
        return None if self._server is None else self._server.server_port

    def serve(self, config: MetricsConfig) -> bool:
        """Serve /metrics as ``config`` says; False (logged) when off or the port is taken."""
        if not config.enabled:
            return False
        try:
            self._server, self._thread = start_http_server(
                config.port, addr=config.host, registry=self.registry
            )
        except OSError as exc:
            log.error("metrics: cannot listen on %s:%d (%s); the agent runs on without /metrics",
                      config.host, config.port, exc,
                      extra={"host": config.host, "port": config.port})  # fmt: skip
            return False
        log.info("metrics at http://%s:%d/metrics", config.host, self.port)
        return True

    def stop(self) -> None:
        """Stop serving (the counters stay)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None


class AgentCollector(Collector):
    """What a scrape reads from a running agent; a part that fails is left out."""

    def __init__(self, agent: Agent) -> None:
        self.agent = agent

    def describe(self) -> Iterable[Metric]:
        """Nothing up front: the outbox may not be readable yet."""
        return []

    def collect(self) -> Iterator[Metric]:
        """Capture, outbox, broker and disk figures of this moment."""
        for part in (self._capture, self._outbox, self._disk):
            try:
                families = list(part())
            except Exception as exc:  # a closed outbox, a vanished folder: skip, not fail
                log.warning("metrics: %s left out of this scrape: %s", part.__name__[1:], exc)
                continue
            yield from families

    def _capture(self) -> Iterator[Metric]:
        stats = self.agent.source.stats
        yield CounterMetricFamily(
            "shekara_edge_frames", "Frames read from the camera and decoded", value=stats.frames
        )
        yield CounterMetricFamily(
            "shekara_edge_frames_rejected", "Image files refused before decoding or undecodable",
            value=stats.rejected,
        )  # fmt: skip
        yield CounterMetricFamily(
            "shekara_edge_camera_reconnects", "Times the camera came back after a loss",
            value=stats.reconnects,
        )  # fmt: skip
        state = GaugeMetricFamily(
            "shekara_edge_camera_state", "1 for the camera's state now, 0 for the others",
            labels=["state"],
        )  # fmt: skip
        for name in get_args(CameraState):
            state.add_metric([name], 1 if stats.state == name else 0)
        yield state
        yield GaugeMetricFamily(
            "shekara_edge_uptime_seconds", "Seconds since the agent started",
            value=self.agent.clock() - self.agent.started,
        )  # fmt: skip

    def _outbox(self) -> Iterator[Metric]:
        publisher = self.agent.publisher
        yield GaugeMetricFamily(
            "shekara_edge_outbox_depth", "Events signed and not yet acknowledged by the broker",
            value=self.agent.outbox.depth(),
        )  # fmt: skip
        yield CounterMetricFamily(
            "shekara_edge_publish_acks", "Events the broker acknowledged since start",
            value=publisher.acked_total,
        )  # fmt: skip
        yield GaugeMetricFamily(
            "shekara_edge_mqtt_connected", "1 while connected to the broker",
            value=1 if publisher.connected.is_set() else 0,
        )  # fmt: skip
        holding = self.agent.holding
        yield GaugeMetricFamily(
            "shekara_edge_events_held", "Events held in memory while the disk refuses them",
            value=holding.held,
        )  # fmt: skip
        yield CounterMetricFamily(
            "shekara_edge_events_dropped", "Events lost since start (held past the limit)",
            value=holding.dropped,
        )  # fmt: skip

    def _disk(self) -> Iterator[Metric]:
        usage = shutil.disk_usage(self.agent.config.outbox.path.parent)
        yield GaugeMetricFamily(
            "shekara_edge_disk_free_bytes", "Free space on the outbox's file system",
            value=usage.free,
        )  # fmt: skip
        yield GaugeMetricFamily(
            "shekara_edge_disk_low", "1 while a watched folder is below outbox.min_free_mb",
            value=1 if self.agent.disk.low else 0,
        )  # fmt: skip
