"""Frames in, ``plate.read`` and ``vehicle.passage`` event bodies out.

Motion gate -> plate reader on the moved region -> voting -> evidence crop.  A truck
that stops is soon learned into the background and the lane goes still; that is not
the truck leaving, so "no plate" counts towards closing a passage only while something
moves (a truck driving off), and a still lane closes it after ``max_open_s``.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from edge.evidence import EvidenceStore
from edge.motion import MotionGate
from edge.plate_reader import PlateReader
from edge.voting import FrameRead, Passage, PassageTracker
from shekara import wire

log = logging.getLogger(__name__)
Event = tuple[str, dict[str, Any]]


class PlateLane:
    """Per-frame plate processing for one lane camera."""

    def __init__(
        self,
        evidence: EvidenceStore,
        reader: PlateReader | None = None,
        gate: MotionGate | None = None,
        tracker: PassageTracker[np.ndarray] | None = None,
        emit_reads: bool = True,
        max_open_s: float = 30.0,
    ) -> None:
        self.evidence = evidence
        self.reader = reader or PlateReader()
        self.gate = gate or MotionGate()
        self.tracker = tracker or PassageTracker()
        self.emit_reads = emit_reads
        self.max_open_s = max_open_s
        self._last_read_at: float | None = None

    def __call__(self, frame: np.ndarray, now: float) -> list[Event]:
        """Process one frame."""
        motion = self.gate.check(frame)
        if motion is None:
            if self._last_read_at is not None and now - self._last_read_at > self.max_open_s:
                return self._passages(self.tracker.flush())
            return []
        events: list[Event] = []
        read = self._read(frame, motion.box, now)
        if read is not None:
            self._last_read_at = now
            if self.emit_reads:
                events.append((wire.EventType.PLATE_READ, _read_body(read)))
        return events + self._passages(self.tracker.feed(read, now))

    def flush(self) -> list[Event]:
        """Close the open passage (end of a file, shutdown)."""
        return self._passages(self.tracker.flush())

    def _read(
        self, frame: np.ndarray, box: tuple[int, int, int, int], now: float
    ) -> FrameRead[np.ndarray] | None:
        x, y, w, h = box
        hits = self.reader.read(frame[y : y + h, x : x + w])
        if not hits:
            return None
        hit = hits[0]
        bx, by, bw, bh = hit.bbox
        frame_box = (x + bx, y + by, bw, bh)
        crop = frame[y + by : y + by + bh, x + bx : x + bx + bw].copy()
        return FrameRead(
            hit.readings,
            hit.ocr_confidence,
            frame_box,
            crop,
            now,
            wire.utc_timestamp(),
            hit.raw_text,
        )

    def _passages(self, passages: list[Passage[np.ndarray]]) -> list[Event]:
        if passages:
            self._last_read_at = None
        return [(wire.EventType.VEHICLE_PASSAGE, self._passage_body(p)) for p in passages]

    def _passage_body(self, passage: Passage[np.ndarray]) -> dict[str, Any]:
        try:
            evidence: dict[str, Any] | None = self.evidence.save(passage.best.crop)
        except (OSError, ValueError) as exc:
            # The event matters more than the picture: send it without evidence.
            log.error("evidence crop not stored: %s", exc)
            evidence = None
        return {
            "plate": passage.reading.text,
            "country": passage.reading.country,
            "format": passage.reading.format,
            "confidence": passage.confidence,
            "candidates": [_candidate(r.text, r.country, c) for r, c in passage.candidates],
            "first_seen": passage.first_seen,
            "last_seen": passage.last_seen,
            "frames": passage.frames,
            "direction": passage.direction,
            "evidence": evidence,
        }


def _candidate(text: str, country: str | None, confidence: float) -> dict[str, Any]:
    return {"text": text, "country": country, "confidence": min(1.0, round(confidence, 3))}


def _read_body(read: FrameRead[np.ndarray]) -> dict[str, Any]:
    best = read.readings[0]
    return {
        "text": best.text,
        "country": best.country,
        "format": best.format,
        "confidence": round(read.ocr_confidence * best.score, 3),
        "candidates": [
            _candidate(r.text, r.country, read.ocr_confidence * r.score) for r in read.readings[:5]
        ],
        "bbox": list(read.bbox),
        "raw_text": read.raw_text,
    }
