"""Licence plates in a frame: find text lines, read each, hold the reading to the formats.

The pipeline (choices measured in ``docs/plates.md``, figures in ``docs/benchmarks.md``):

1. :class:`edge.ocr_models.TextDetector` finds text lines on the frame scaled to at most
   :data:`DETECT_SIDE` px (the PP-OCRv4 mobile detector: at 640 px it found about as
   many plates as the PP-OCRv6 detector at 480 px in well under half the time), and
   a classical localiser proposes regions at full resolution beside them.
2. Each line is cut out of the full-resolution frame, rotated level and read by
   :class:`edge.ocr_models.TextRecognizer` into per-frame character probabilities.
3. Lines that sit side by side (a region box beside the number, a wide gap) or one
   above the other (two-line plates) are also read as one plate, by joining their
   probability sequences with a blank between.
4. Every plate format of :mod:`shekara.plates` is decoded against the probabilities
   (:func:`edge.ctc.constrained_path`).  A format reading beats the free (greedy)
   reading when its path probability times :data:`FORMAT_PRIOR` is higher: a
   confusion the model was unsure about is repaired, a confident foreign plate is
   left as read.
5. When no sure reading turned up, the first plate-shaped regions are also read by the
   project's own Persian recognizer (:mod:`edge.persian_reader`), decoded the same way
   against the Iranian formats; a hit is kept only when it fits one (country "IR").

Only models inside installed wheels or shipped in ``edge/models/`` (trained here, from
generated data: ``make train-models``) are used; nothing is downloaded.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache

import numpy as np

from edge.ctc import best_path, constrained_path
from edge.ocr_models import (
    ALNUM,
    TextBox,
    TextDetector,
    TextRecognizer,
    crop_upright,
    load_detector,
    load_recognizer,
)
from edge.persian_reader import CHARS as PERSIAN_CHARS
from edge.persian_reader import PersianRecognizer, load_persian_recognizer
from edge.plate_lines import Line, joined, near
from edge.plate_locator import iou, propose
from shekara.plates import (
    GENERIC_SCORE,
    PlateFormat,
    PlateReading,
    formats,
    region_ok,
    slot_chars,
)

# Country marks printed on plates beside the number (the flag strip, the region box).
COUNTRY_MARKS = frozenset({"RUS", "KZ", "UZ", "TM"})
# Letters and digits both, 4 to 10 of them (Latin, or Persian letters on Iranian plates).
PLATE_TEXT = re.compile(r"^(?=.*\d)(?=.*[^\d])\w{4,10}$")
DETECT_SIDE = 640
# A format reading this sure ends the search (ocr confidence x share of the odds).
SURE = 0.8
PROPOSALS = 4  # classical regions read beside the detector's lines (docs/plates.md)
# Plate-shaped regions the Persian recognizer reads when no sure reading was found.
PERSIAN_TRIES = 3
# How much likelier, a priori, a plate of a known format is than the same characters
# as a free string: one repair the model gave 1/1000 of its best guess still wins.
FORMAT_PRIOR = math.log(1000)


@dataclass(frozen=True, slots=True)
class PlateHit:
    """One plate-like text in a frame."""

    readings: list[PlateReading]  # best first; scores are shares of the candidates' odds
    raw_text: str  # the free reading, before any format held it
    ocr_confidence: float  # geometric mean of the free path's per-frame probabilities
    bbox: tuple[int, int, int, int]  # x, y, w, h in frame pixels

    @property
    def confidence(self) -> float:
        """Recognizer confidence times the best reading's share."""
        return round(self.ocr_confidence * self.readings[0].score, 3)


class PlateReader:
    """Finds and reads plates; the ONNX sessions are created on first use."""

    def __init__(
        self, detect_side: int = DETECT_SIDE, proposals: int = PROPOSALS, threads: int = 1
    ) -> None:
        self.detect_side = detect_side
        self.proposals = proposals
        self.threads = threads
        self._detector: TextDetector | None = None
        self._recognizer: TextRecognizer | None = None
        self._persian: PersianRecognizer | None = None

    def _models(self) -> tuple[TextDetector, TextRecognizer]:
        if self._detector is None or self._recognizer is None:
            self._detector = load_detector(self.detect_side, self.threads)
            self._recognizer = load_recognizer(self.threads)
            self._persian = load_persian_recognizer(self.threads)
        return self._detector, self._recognizer

    def read(self, frame: np.ndarray) -> list[PlateHit]:
        """Every plate-like text in ``frame`` (BGR), the most plausible first.

        Lines are read plate-shaped and tallest first, and reading stops (but for the
        sure line's neighbours) at the first sure reading of a known format: a truck
        front carries many lines of text, and each costs a recognizer run.
        """
        detector, recognizer = self._models()
        regions = [(crop_upright(frame, box), box.bbox) for box in detector.boxes(frame)
                   if _readable(box)]  # fmt: skip
        # Plates too small for the scaled-down detector: classical proposals at full
        # resolution, read where no detected line already covers them.
        for x, y, w, h in propose(frame, self.proposals):
            if all(iou((x, y, w, h), bbox) < 0.3 for _, bbox in regions):
                regions.append((frame[y : y + h, x : x + w], (x, y, w, h)))
        # Plate-shaped lines first, and among them the tallest: a plate's characters
        # are larger than a sticker's or a caption's.
        regions.sort(key=lambda r: (_shape_distance(r[1]) > PLATE_SHAPED, -r[1][3]))
        lines: list[Line] = []
        hits: list[PlateHit] = []
        sure: tuple[int, int, int, int] | None = None
        for crop, bbox in regions:
            if sure is not None and not near(sure, bbox):
                continue  # after a sure reading only its neighbours can still extend it
            line = Line(recognizer.log_probs(crop), bbox, (bbox,))
            if _text(best_path(line.log_probs)[0], ALNUM) in COUNTRY_MARKS:
                continue  # "RUS" under a region number is not part of the plate's text
            lines.append(line)
            fresh = [line, *joined(lines, newest=line)]
            hits += [hit for one in fresh if (hit := read_line(one.log_probs, one.bbox))]
            if sure is None:
                sure = next((h.bbox for h in hits if _is_sure(h)), None)
        if sure is None and self._persian is not None:
            hits += self._read_persian(regions, self._persian)
        hits = _drop_parts(hits)
        # The confidence already weighs how well the text fits a format.
        hits.sort(key=lambda h: (-h.confidence, -h.bbox[3]))
        return hits

    @staticmethod
    def _read_persian(
        regions: list[tuple[np.ndarray, tuple[int, int, int, int]]], persian: PersianRecognizer
    ) -> list[PlateHit]:
        """Iranian plates among the first plate-shaped regions (the Latin reader cannot)."""
        shaped = [r for r in regions if _shape_distance(r[1]) <= PLATE_SHAPED][:PERSIAN_TRIES]
        hits = [read_line(persian.log_probs(crop), bbox, PERSIAN_CHARS) for crop, bbox in shaped]
        return [h for h in hits if h is not None and h.readings[0].country == "IR"]

    def read_crop(self, crop: np.ndarray) -> PlateHit | None:
        """One line of text already cut out (a plate crop, for tests and tools)."""
        _, recognizer = self._models()
        h, w = crop.shape[:2]
        return read_line(recognizer.log_probs(crop), (0, 0, w, h))


def _readable(box: TextBox) -> bool:
    return box.size[1] >= 6 and box.size[0] >= box.size[1] * 0.8


PLATE_SHAPED = math.log(2.5)  # aspect within 1.8:1 .. 11:1 of a one-line plate's 4.5:1


def _shape_distance(bbox: tuple[int, int, int, int]) -> float:
    """How far a box's aspect is from a one-line plate's (about 4.5:1), on a log scale."""
    return abs(math.log(max(bbox[2], 1) / max(bbox[3], 1) / 4.5))


@dataclass(frozen=True, slots=True)
class _Format:
    fmt: PlateFormat
    slots: list[np.ndarray]


@cache
def _compiled(classes: str) -> list[_Format]:
    """Each format a recognizer with ``classes`` can read, its slots as masks over them."""
    compiled = []
    for fmt in formats():
        slots = []
        for chars in slot_chars(fmt):
            mask = np.zeros(len(classes) + 1, np.bool_)
            mask[[classes.index(c) + 1 for c in chars if c in classes]] = True
            slots.append(mask)
        if all(mask.any() for mask in slots):
            compiled.append(_Format(fmt, slots))
    return compiled


def _text(label: list[int], classes: str) -> str:
    return "".join(classes[c - 1] for c in label if 1 <= c <= len(classes))


def read_line(
    log_probs: np.ndarray, bbox: tuple[int, int, int, int], classes: str = ALNUM
) -> PlateHit | None:
    """A plate hit from one line's probabilities, or None when the line is not plate-like.

    ``classes`` names the recognizer's classes 1..C (0 is the CTC blank).
    """
    label, free_score = best_path(log_probs)
    free = _text(label, classes)
    if not PLATE_TEXT.match(free):
        return None
    candidates: dict[str, tuple[float, PlateReading]] = {}
    for compiled in _compiled(classes):
        # Formats repair confusions, they do not add or drop characters.
        if len(compiled.slots) != len(free):
            continue
        path = constrained_path(log_probs, compiled.slots)
        if path is None:
            continue
        text = _text(path[0], classes)
        fmt = compiled.fmt
        if not region_ok(text, fmt):
            continue
        odds = path[1] + FORMAT_PRIOR
        repairs = sum(a != b for a, b in zip(text, free, strict=True))
        if text not in candidates or candidates[text][0] < odds:
            candidates[text] = (odds, PlateReading(text, fmt.country, fmt.name, 0.0, repairs))
    if free not in candidates:
        candidates[free] = (free_score, PlateReading(free, None, None, 0.0, 0))
    top = max(odds for odds, _ in candidates.values())
    total = sum(math.exp(odds - top) for odds, _ in candidates.values())
    # A text of no known format is worth GENERIC_SCORE of one that fits one: a sign
    # or a phone number on the truck must not outrank the plate.
    readings = [
        PlateReading(
            r.text,
            r.country,
            r.format,
            round(math.exp(odds - top) / total * (1 if r.country else GENERIC_SCORE), 3),
            r.repairs,
        )
        for odds, r in candidates.values()
    ]
    # Fits the model gave next to no weight are noise in the candidates list.
    readings = [r for r in readings if r.score > 0]
    readings.sort(key=lambda r: (-r.score, r.country or "~", r.format or ""))
    confidence = math.exp(free_score / log_probs.shape[0])
    return PlateHit(readings, free, round(confidence, 3), bbox)


def _is_sure(hit: PlateHit) -> bool:
    return hit.readings[0].country is not None and hit.confidence >= SURE


def _drop_parts(hits: list[PlateHit]) -> list[PlateHit]:
    """Hits that are a piece of a longer hit of a known format are dropped.

    "C007KE" fits a Kazakh layout on its own, but beside its region box it is the
    Russian "C007KE29": the whole plate is the reading, not its number part.
    """

    def part_of(small: PlateHit, big: PlateHit) -> bool:
        (sx, sy, sw, sh), (bx, by, bw, bh) = small.bbox, big.bbox
        inside = sx >= bx - 2 and sy >= by - 2 and sx + sw <= bx + bw + 2 and sy + sh <= by + bh + 2
        text, whole = small.readings[0].text, big.readings[0].text
        return (
            inside
            and big.readings[0].country is not None
            and len(whole) > len(text)
            and (text in whole or small.raw_text in big.raw_text)
        )

    return [h for h in hits if not any(part_of(h, other) for other in hits if other is not h)]
