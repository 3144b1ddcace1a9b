"""Multi-frame voting: a truck seen in many frames becomes exactly one passage.

A lane camera sees one vehicle at a time.  Every frame's plate reading joins the open
track while it looks like the same plate (edit distance of at most
:data:`SAME_VEHICLE_DISTANCE` after folding OCR confusions, or a part of it, as when a
frame missed the region box); a clearly different plate, or no plate for
``leave_after_s``, closes the track and yields a :class:`Passage`.

Each frame votes for its fitted candidates with weight ``ocr_confidence x fit score``.
The passage's plate is the candidate with the most weight; its confidence is that
weight per frame, so twenty frames agreeing at 0.9 give 0.9, and a split vote gives
less.  The evidence is the crop of the best-weighted frame that read the winner.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Generic, Literal, TypeVar

from shekara.plates import PlateReading, confusion_key

Crop = TypeVar("Crop")
SAME_VEHICLE_DISTANCE = 2
MAX_CANDIDATES = 5


def _alike(a: str, b: str) -> bool:
    """Readings of one plate: a few characters apart, or one a part of the other.

    A frame that missed a region box reads "K545YM" for "K545YM527"; that is the same
    truck, not a new one.
    """
    short, long = sorted((a, b), key=len)
    return edit_distance(a, b) <= SAME_VEHICLE_DISTANCE or (len(short) >= 4 and short in long)


@dataclass(frozen=True, slots=True)
class FrameRead(Generic[Crop]):
    """The best plate reading of one frame."""

    readings: list[PlateReading]  # fitted candidates, best first (edge.plate_reader.read_line)
    ocr_confidence: float
    bbox: tuple[int, int, int, int]
    crop: Crop
    at: float  # monotonic seconds
    captured_at: str  # wire timestamp of the frame
    raw_text: str = ""  # what the recognizer returned


@dataclass(frozen=True, slots=True)
class Passage(Generic[Crop]):
    """One vehicle through the view."""

    reading: PlateReading  # the winner
    confidence: float
    candidates: list[tuple[PlateReading, float]]  # (reading, confidence), best first
    first_seen: str
    last_seen: str
    frames: int
    direction: Literal["toward", "away"] | None
    best: FrameRead[Crop]


@dataclass
class _Track(Generic[Crop]):
    reads: list[FrameRead[Crop]] = field(default_factory=list)
    weights: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    fits: dict[str, PlateReading] = field(default_factory=dict)

    def add(self, read: FrameRead[Crop]) -> None:
        self.reads.append(read)
        for reading in read.readings:
            self.weights[reading.text] += read.ocr_confidence * reading.score
            self.fits.setdefault(reading.text, reading)

    def leader(self) -> str:
        return max(self.weights, key=lambda text: (self.weights[text], text))


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (plates are short: the quadratic table is fine)."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


class PassageTracker(Generic[Crop]):
    """Turns per-frame readings into passages."""

    def __init__(self, leave_after_s: float = 1.5, min_frames: int = 2) -> None:
        self.leave_after_s = leave_after_s
        self.min_frames = min_frames
        self._track: _Track[Crop] | None = None

    def feed(self, read: FrameRead[Crop] | None, now: float) -> list[Passage[Crop]]:
        """Add one frame (``None``: no plate in it); returns passages that ended."""
        ended: list[Passage[Crop]] = []
        track = self._track
        if track is not None and now - track.reads[-1].at > self.leave_after_s:
            ended += self._close()
        if read is not None and read.readings:
            track = self._track
            if track is not None and not self._same_vehicle(track, read):
                ended += self._close()
            if self._track is None:
                self._track = _Track()
            self._track.add(read)
        return ended

    def flush(self) -> list[Passage[Crop]]:
        """Close the open track (shutdown, or the end of a file)."""
        return self._close()

    @staticmethod
    def _same_vehicle(track: _Track[Crop], read: FrameRead[Crop]) -> bool:
        leader = confusion_key(track.leader())
        return any(_alike(confusion_key(r.text), leader) for r in read.readings)

    def _close(self) -> list[Passage[Crop]]:
        track, self._track = self._track, None
        if track is None or len(track.reads) < self.min_frames:
            return []
        frames = len(track.reads)
        ranked = sorted(track.weights, key=lambda t: (-track.weights[t], t))
        winner = ranked[0]
        best = max(
            (r for r in track.reads if any(x.text == winner for x in r.readings)),
            key=lambda r: next(r.ocr_confidence * x.score for x in r.readings if x.text == winner),
        )
        candidates = [
            (track.fits[t], min(1.0, round(track.weights[t] / frames, 3)))
            for t in ranked[:MAX_CANDIDATES]
        ]
        return [
            Passage(
                reading=track.fits[winner],
                confidence=candidates[0][1],
                candidates=candidates,
                first_seen=track.reads[0].captured_at,
                last_seen=track.reads[-1].captured_at,
                frames=frames,
                direction=_direction(track.reads),
                best=best,
            )
        ]


def _direction(reads: list[FrameRead[Crop]]) -> Literal["toward", "away"] | None:
    # A pole camera looks down the lane: an approaching plate moves down the image.
    first, last = reads[0].bbox, reads[-1].bbox
    dy = (last[1] + last[3] / 2) - (first[1] + first[3] / 2)
    if abs(dy) < max(first[3], last[3]):
        return None
    return "toward" if dy > 0 else "away"
