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
from pathlib import Path
from typing import Any

from edge import rotation
from edge.capture import Frame, FrameSource
from edge.config import BarcodeConfig, DeviceConfig
from edge.outbox import Outbox
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
    store = EvidenceStore(evidence_folder(config), plates.retention_days, plates.max_evidence_mb)
    return PlateLane(
        store,
        reader=PlateReader(plates.detect_side, plates.proposals),
        tracker=PassageTracker(plates.leave_after_s),
        emit_reads=plates.emit_reads,
    )


class Agent:
    """One device's agent."""

    def __init__(
        self, config: DeviceConfig, processors: list[FrameProcessor] | None = None
    ) -> None:
        self.config = config
        key = load_private_key(config.key_file)
        self.outbox = Outbox(config.outbox.path, key, config.address, config.outbox.keep_sent)
        self.publisher = Publisher(
            self.outbox, key, config.address, config.mqtt,
            evidence_folder(config) if config.plates.enabled else None,
        )  # fmt: skip
        self._switch_key()
        cam = config.camera
        self.source = FrameSource(
            cam.source,
            width=cam.width,
            height=cam.height,
            fps=cam.fps,
            loop=cam.loop,
            reconnect_s=cam.reconnect_s,
            reconnect_max_s=cam.reconnect_max_s,
        )
        if processors is None:
            processors = []
            if config.barcode.enabled:
                processors.append(barcode_processor(config.barcode))
            if config.plates.enabled:
                processors.append(plate_processor(config))
        self.processors = processors
        self.started = time.monotonic()
        self.frame_errors = 0
        self._flushed = False
        self._fps_frames, self._fps_since = 0, self.started
        self._next_heartbeat = self.started

    def run(self, stop: threading.Event, until_drained: bool = False) -> None:
        """Run until ``stop`` is set (or, with ``until_drained``, the source ended and all sent)."""
        log.info("agent %s starting on %s", self.config.device_id, self.config.camera.source)
        self.publisher.start()
        try:
            while not stop.is_set():
                now = time.monotonic()
                if now >= self._next_heartbeat:
                    self._heartbeat(now)
                frame = self.source.read()
                if frame is None:
                    if self.source.stats.state == "ended" and not self._flushed:
                        self._flush()
                    if until_drained and self._finished():
                        break
                    stop.wait(0.01)
                    continue
                self._process(frame, now)
        finally:
            self.publisher.stop()
            self.source.close()
            self.outbox.close()
            log.info("agent %s stopped", self.config.device_id)

    def _flush(self) -> None:
        # A file ended with a vehicle still in view: its passage is complete now.
        self._flushed = True
        captured_at = wire.utc_timestamp()
        events: list[tuple[str, dict[str, Any], str]] = []
        for processor in self.processors:
            flush = getattr(processor, "flush", None)
            if flush is not None:
                events.extend((t, body, captured_at) for t, body in flush())
        if events:
            self.outbox.append_many(events)
            self.publisher.wake()

    def _finished(self) -> bool:
        return self.source.stats.state == "ended" and self.outbox.depth() == 0

    def _process(self, frame: Frame, now: float) -> None:
        self._fps_frames += 1
        captured_at = wire.utc_timestamp()
        events: list[tuple[str, dict[str, Any], str]] = []
        for processor in self.processors:
            try:
                events.extend((t, body, captured_at) for t, body in processor(frame, now))
            except Exception:  # one bad frame must not stop the lane
                self.frame_errors += 1
                log.exception("frame processing failed (%d so far)", self.frame_errors)
        if events:
            self.outbox.append_many(events)
            self.publisher.wake()

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
        }

    def _switch_key(self) -> None:
        try:
            if new_key := rotation.switch_if_due(self.config.key_file, self.outbox):
                self.publisher.key = new_key
                self.publisher.wake()
        except Exception:  # a bad .next file must not stop the lane; the old key still signs
            log.exception("key rotation failed")

    def _heartbeat(self, now: float) -> None:
        self._next_heartbeat = now + self.config.status.heartbeat_s
        self._switch_key()
        try:
            self.outbox.append(
                wire.EventType.DEVICE_STATUS, self.status_body(now), wire.utc_timestamp()
            )
            self.publisher.wake()
        except Exception:
            log.exception("heartbeat failed")


def _cpu_temperature() -> float | None:
    zone = Path("/sys/class/thermal/thermal_zone0/temp")
    try:
        return round(int(zone.read_text().strip()) / 1000, 1)
    except (OSError, ValueError):
        return None
