"""The edge agent: frames in, signed events out, whatever the network does.

Capture and decoding run in the calling thread; publishing runs in the publisher's
thread.  They meet only in the outbox, so a dead broker never slows capture and a
stalled camera never delays the backlog.  No exception from one frame stops the agent.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from edge import rotation
from edge.capture import Frame, FrameSource
from edge.config import BarcodeConfig, DeviceConfig
from edge.disk import DiskWatch
from edge.holding import Holding
from edge.metrics import EdgeMetrics, stage_name
from edge.outbox import Outbox, OutboxUnavailable
from edge.publisher import Publisher
from shekara import __version__, wire
from shekara.keys import load_private_key

log = logging.getLogger(__name__)

# Turns one frame into (event type, body) pairs; barcode reading is the first of these.
FrameProcessor = Callable[[Frame, float], list[tuple[str, dict[str, Any]]]]


def barcode_processor(config: BarcodeConfig) -> FrameProcessor:
    """Decode barcodes and emit each code once per sighting."""
    from edge.barcodes import DEFAULT_PASSES, FAST_PASSES, decode
    from edge.dedup import Deduplicator
    from shekara.codes import read_body

    dedup = Deduplicator(window_s=config.dedup_window_s)
    passes = DEFAULT_PASSES if config.rescue else FAST_PASSES

    def process(frame: Frame, now: float) -> list[tuple[str, dict[str, Any]]]:
        reads = dedup.feed(decode(frame, passes), now)
        return [(wire.EventType.BARCODE_READ, read_body(r)) for r in reads]

    return process


def evidence_folder(config: DeviceConfig) -> Path:
    """Where the device keeps its evidence crops."""
    return config.plates.evidence_dir or config.outbox.path.parent / "evidence"


def plate_processor(config: DeviceConfig) -> FrameProcessor:
    """Read plates; one vehicle.passage per vehicle, with its evidence crop."""
    from edge.evidence import EvidenceStore
    from edge.plate_lane import PlateLane
    from edge.plate_reader import PlateReader
    from edge.voting import PassageTracker

    plates = config.plates
    store = EvidenceStore(evidence_folder(config), plates.retention_days,
                          plates.max_evidence_mb, config.outbox.min_free_mb)  # fmt: skip
    return PlateLane(
        store,
        reader=PlateReader(plates.detect_side, plates.proposals),
        tracker=PassageTracker(plates.leave_after_s),
        emit_reads=plates.emit_reads,
    )


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Agent:
    """One device's agent.

    ``clock`` (monotonic seconds) paces frames, heartbeats and dedup windows; ``wall``
    only stamps ``captured_at``.  A wall clock that jumps (NTP after a boot without a
    real-time clock, an operator's ``date -s``) moves the stamps and nothing else.
    """

    def __init__(
        self,
        config: DeviceConfig,
        processors: list[FrameProcessor] | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.config = config
        self.clock, self.wall = clock, wall
        self.metrics = EdgeMetrics(config)
        key = load_private_key(config.key_file)
        self.outbox = Outbox(config.outbox.path, key, config.address, config.outbox.keep_sent)
        self.publisher = Publisher(
            self.outbox, key, config.address, config.mqtt,
            evidence_folder(config) if config.plates.enabled else None,
        )  # fmt: skip
        # Events the disk refuses wait in memory, in order, and are written when it can.
        self.holding = Holding(self.outbox, config.outbox.hold_max_events, clock=clock)
        folders = [config.outbox.path.parent]
        if config.plates.enabled:
            folders.append(evidence_folder(config))
        self.disk = DiskWatch(folders, config.outbox.min_free_mb, clock=clock)
        self._switch_key()
        self.source = FrameSource.from_config(config.camera, clock)
        stages: list[str] = []
        if processors is None:
            processors = []
            if config.barcode.enabled:
                processors.append(barcode_processor(config.barcode))
                stages.append("barcode")
            if config.plates.enabled:
                processors.append(plate_processor(config))
                stages.append("plate")
        self.processors = processors
        # The label of each processor in the decode-time histogram.
        self.stages = stages or [stage_name(p) for p in processors]
        self.started = clock()
        self.frame_errors = 0
        self._flushed = False
        self._fps_frames, self._fps_since = 0, self.started
        self._next_heartbeat = self.started
        self.metrics.watch(self, self.stages)

    def run(self, stop: threading.Event, until_drained: bool = False) -> None:
        """Run until ``stop`` is set (or, with ``until_drained``, the source ended and all sent)."""
        log.info("agent %s starting on %s", self.config.device_id, self.config.camera.source)
        self.publisher.start()
        self.metrics.serve(self.config.metrics)
        try:
            while not stop.is_set():
                if self.step():
                    continue
                if until_drained and self._finished():
                    break
                stop.wait(0.01)
        finally:
            self.metrics.stop()
            self.publisher.stop()
            self.source.close()
            self.outbox.close()
            log.info("agent %s stopped", self.config.device_id)

    def step(self) -> bool:
        """One turn of the loop: alerts, held events and heartbeat when due, then one
        frame if there is one.  True when a frame was processed."""
        now = self.clock()
        if self.disk.check():
            self._next_heartbeat = now  # tell the hub at once, while there is room to
        if self.holding.held:
            self._committed(self.holding.flush())
        if now >= self._next_heartbeat:
            self._heartbeat(now)
        frame = self.source.read()
        if frame is None:
            if self.source.stats.state == "ended" and not self._flushed:
                self._flush()
            return False
        self._process(frame, now)
        return True

    def _append(self, events: list[tuple[str, dict[str, Any], str]]) -> None:
        # Never raises for a full disk: the holding keeps what the outbox refuses.
        self._committed(self.holding.append(events))

    def _committed(self, events: list[dict[str, Any]]) -> None:
        if events:
            self.metrics.appended(e["type"] for e in events)
            self.publisher.wake()

    def _flush(self) -> None:
        # A file ended with a vehicle still in view: its passage is complete now.
        self._flushed = True
        captured_at = wire.utc_timestamp(self.wall())
        events: list[tuple[str, dict[str, Any], str]] = []
        for processor in self.processors:
            flush = getattr(processor, "flush", None)
            if flush is not None:
                events.extend((t, body, captured_at) for t, body in flush())
        if events:
            self._append(events)

    def _finished(self) -> bool:
        ended = self.source.stats.state == "ended"
        return ended and not self.holding.held and self.outbox.depth() == 0

    def _process(self, frame: Frame, now: float) -> None:
        self._fps_frames += 1
        captured_at = wire.utc_timestamp(self.wall())
        events: list[tuple[str, dict[str, Any], str]] = []
        for stage, processor in zip(self.stages, self.processors, strict=True):
            started, failed = time.perf_counter(), False
            try:
                events.extend((t, body, captured_at) for t, body in processor(frame, now))
            except Exception:  # one bad frame must not stop the lane
                failed = True
                self.frame_errors += 1
                where = {"stage": stage, "device_id": self.config.device_id}
                log.exception("frame processing failed (%d so far)", self.frame_errors,
                              extra=where)  # fmt: skip
            self.metrics.decoded(stage, time.perf_counter() - started, failed)
        if events:
            self._append(events)

    def status_body(self, now: float) -> dict[str, Any]:
        """The device.status body for this moment."""
        elapsed = max(now - self._fps_since, 1e-6)
        fps = round(self._fps_frames / elapsed, 2)
        self._fps_frames, self._fps_since = 0, now
        disk = shutil.disk_usage(self.config.outbox.path.parent)
        return {
            "fps": fps,
            "outbox_depth": self.outbox.depth(),
            "camera": self.source.stats.state,
            "software_version": __version__,
            "uptime_s": int(now - self.started),
            "reconnects": self.source.stats.reconnects,
            "disk_free_mb": disk.free // (1024 * 1024),
            "cpu_temp_c": _cpu_temperature(),
            "disk_low": self.disk.low,
            "events_dropped": self.holding.dropped,
        }

    def _switch_key(self) -> None:
        try:
            before = self.outbox.last_seq  # a rotation finished after a crash appends nothing
            if new_key := rotation.switch_if_due(self.config.key_file, self.outbox):
                rotated = self.outbox.last_seq - before
                self.metrics.appended([wire.EventType.DEVICE_KEY_ROTATED] * rotated)
                self.publisher.key = new_key
                self.publisher.wake()
        except Exception:  # a bad .next file must not stop the lane; the old key still signs
            log.exception("key rotation failed")

    def _heartbeat(self, now: float) -> None:
        self._next_heartbeat = now + self.config.status.heartbeat_s
        self._switch_key()
        try:
            self.outbox.append(
                wire.EventType.DEVICE_STATUS, self.status_body(now), wire.utc_timestamp(self.wall())
            )
            self.metrics.appended([wire.EventType.DEVICE_STATUS])
            self.publisher.wake()
        except OutboxUnavailable as exc:
            # Not held: a heartbeat is stale by the time the disk has room again.
            log.warning("heartbeat not recorded: %s", exc)
        except Exception:
            log.exception("heartbeat failed")


def _cpu_temperature() -> float | None:
    zone = Path("/sys/class/thermal/thermal_zone0/temp")
    try:
        return round(int(zone.read_text().strip()) / 1000, 1)
    except (OSError, ValueError):
        return None
