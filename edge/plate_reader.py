"""Licence plates in a frame: RapidOCR's bundled PP-OCRv6 models, fitted to the region's formats.

Measured on the shared openalpr set (198 real frames, one core, see docs/benchmarks.md):

* the wheel's own text detector with its input capped at 960 px on the longest side
  (the default upscales small frames: four times slower, no more plates read);
* recognition on the detector's boxes as they are: padding let frame text in and
  upscaling changed nothing (the recognizer resizes to 48 px itself);
* no angle classifier (it read fewer plates).

Every plate-like text (4-10 characters mixing letters and digits: every plate format
of the region does, and label captions such as "SSCC" do not) is returned, fitted
to the formats of :mod:`shekara.plates`, best first: a frame may hold several
vehicles.  Only the models inside the wheel are used; asking RapidOCR for any other
model type would make it try to download one.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from shekara.plates import PlateReading, normalise, read_plate

log = logging.getLogger(__name__)
_NOT_ALNUM = re.compile(r"[^A-Z0-9]")  # emblems, dots, colons OCR reads between groups
PLATE_TEXT = re.compile(r"^(?=.*\d)(?=.*[A-Z])[A-Z0-9]{4,10}$")
ENGINE_PARAMS = {
    "Det.limit_type": "max",
    "Det.limit_side_len": 960,
    "Global.use_cls": False,
    "Global.log_level": "warning",
}


@dataclass(frozen=True, slots=True)
class PlateHit:
    """One plate-like text in a frame."""

    readings: list[PlateReading]  # fitted to the formats, best first
    raw_text: str
    ocr_confidence: float
    bbox: tuple[int, int, int, int]  # x, y, w, h

    @property
    def confidence(self) -> float:
        """Recognizer confidence times how well the best reading fits a format."""
        return round(self.ocr_confidence * self.readings[0].score, 3)


class PlateReader:
    """Finds and reads plates; the ONNX sessions are created on first use."""

    def __init__(self) -> None:
        self._engine: Any = None

    def _ocr(self) -> Any:
        if self._engine is None:
            from rapidocr import RapidOCR

            logging.getLogger("RapidOCR").setLevel(logging.WARNING)
            self._engine = RapidOCR(params=dict(ENGINE_PARAMS))
        return self._engine

    def read(self, frame: np.ndarray) -> list[PlateHit]:
        """Every plate-like text in ``frame`` (BGR), the most plausible first."""
        result = self._ocr()(frame)
        if result.txts is None:
            return []
        texts = []
        for box, text, score in zip(result.boxes, result.txts, result.scores, strict=True):
            xs, ys = box[:, 0], box[:, 1]
            bbox = (int(xs.min()), int(ys.min()), int(np.ptp(xs)), int(np.ptp(ys)))
            texts.append((str(text), float(score), bbox))
        hits = []
        for text, score, bbox in texts + _side_by_side(texts):
            plate = _NOT_ALNUM.sub("", normalise(text))
            if PLATE_TEXT.match(plate):
                hits.append(PlateHit(read_plate(plate), text, score, bbox))
        # The confidence already weighs how well the text fits a format.
        hits.sort(key=lambda h: (-h.confidence, -h.bbox[3]))
        return hits


Text = tuple[str, float, tuple[int, int, int, int]]


def _side_by_side(texts: list[Text], longest: int = 4) -> list[Text]:
    """Runs of 2..``longest`` boxes on one line, each next to the last, joined left to right.

    Region boxes (KZ, RU, UZ) and wide gaps make the detector split one plate into
    several boxes; a joined text competes with its parts and wins only by fitting a
    format better.
    """

    def follows(left: Text, right: Text) -> bool:
        (lx, ly, lw, lh), (rx, ry, _, rh) = left[2], right[2]
        gap = rx - (lx + lw)
        overlap = min(ly + lh, ry + rh) - max(ly, ry)
        return -0.2 * lh <= gap <= 0.8 * lh and overlap >= 0.5 * min(lh, rh)

    joined: list[Text] = []
    ordered = sorted(texts, key=lambda t: t[2][0])
    for i, first in enumerate(ordered):
        run = [first]
        for candidate in ordered[i + 1 :]:
            if len(run) == longest:
                break
            if follows(run[-1], candidate):
                run.append(candidate)
                x, y = run[0][2][0], min(t[2][1] for t in run)
                right = max(t[2][0] + t[2][2] for t in run)
                bottom = max(t[2][1] + t[2][3] for t in run)
                joined.append(
                    (
                        " ".join(t[0] for t in run),
                        min(t[1] for t in run),
                        (x, y, right - x, bottom - y),
                    )
                )
    return joined
