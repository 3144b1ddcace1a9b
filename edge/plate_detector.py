"""The project's own plate detector: a small fully convolutional net trained on generated frames.

The network (``train/detector.py``) maps a frame, scaled so its longest side is
``max_side`` and padded to a multiple of :data:`STRIDE_MAX`, to a map of plate
probability at a quarter of that resolution.  Each connected region above the
threshold becomes one rotated rectangle in frame pixels, the same
:class:`~edge.ocr_models.TextBox` the text detector gives, so the reader treats both
alike.  It finds whole plates (band, region box and all), not text lines.

The model file and its provenance (seed, steps, data, loss, commit) sit in
``edge/models/``; ``make train-models`` makes them again.  Whether the reader uses it
is a measured choice: ``make bench-detectors`` compares it with the others
(``docs/plates.md``).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from edge.ocr_models import TextBox, onnx_session, rotated_regions

log = logging.getLogger(__name__)

MODEL = Path(__file__).with_name("models") / "plate_det.onnx"
PROVENANCE = MODEL.with_suffix(".json")
OUT_STRIDE = 4  # the probability map is a quarter of the input size
STRIDE_MAX = 16  # the deepest layer's stride: input sides are multiples of it
MAX_SIDE = 512


def prepare(frame: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    """The network input (1, 3, H, W) for a BGR frame, and the frame-to-input scale.

    Training calls this too, so a model sees the same pixels in training and in a lane.
    """
    h, w = frame.shape[:2]
    scale = min(1.0, max_side / max(h, w))
    sw, sh = max(1, round(w * scale)), max(1, round(h * scale))
    small = cv2.resize(frame, (sw, sh), interpolation=cv2.INTER_AREA) if scale < 1 else frame
    ph, pw = (-(-v // STRIDE_MAX) * STRIDE_MAX for v in (sh, sw))
    padded = np.zeros((ph, pw, 3), np.float32)
    padded[:sh, :sw] = small.astype(np.float32) * (2 / 255) - 1
    return padded.transpose(2, 0, 1)[None], scale


def covers(plate: tuple[int, int, int, int], box: tuple[int, int, int, int]) -> bool:
    """Whether ``box`` (x, y, w, h) holds most of ``plate`` and is not mostly something else.

    The detection criterion of ``make bench-detectors`` and of training's held-out check.
    """
    ix = max(0, min(plate[0] + plate[2], box[0] + box[2]) - max(plate[0], box[0]))
    iy = max(0, min(plate[1] + plate[3], box[1] + box[3]) - max(plate[1], box[1]))
    inter = ix * iy
    return inter >= 0.6 * plate[2] * plate[3] and inter >= 0.4 * box[2] * box[3]


def boxes_from_map(
    prob: np.ndarray, scale: float, threshold: float = 0.5, min_score: float = 0.6
) -> list[TextBox]:
    """Rotated rectangles (frame pixels) around the regions of ``prob`` above ``threshold``."""
    factor = OUT_STRIDE / scale
    out = [
        # Map cells are centred at (i + 0.5) * stride; a region of n cells spans n cells.
        TextBox(
            ((cx + 0.5) * factor, (cy + 0.5) * factor),
            ((rw + 1) * factor, (rh + 1) * factor),
            angle,
            score,
        )
        for (cx, cy), (rw, rh), angle, score in rotated_regions(
            prob, threshold, min_score, cv2.RETR_EXTERNAL, min_side=2
        )
    ]
    out.sort(key=lambda b: -b.score)
    return out


class PlateDetector:
    """Whole-plate regions in a frame, from the project's own network."""

    def __init__(self, path: Path = MODEL, max_side: int = MAX_SIDE, threads: int = 1) -> None:
        self.path = path
        self.max_side = max_side
        self._session: Any = onnx_session(path, threads)

    def boxes(self, frame: np.ndarray) -> list[TextBox]:
        """Plate rectangles in ``frame`` (BGR), best first."""
        x, scale = prepare(frame, self.max_side)
        logits = self._session.run(None, {"x": x})[0][0, 0]
        prob = 1 / (1 + np.exp(-logits))
        return boxes_from_map(prob, scale)


def provenance() -> dict[str, Any]:
    """How the shipped model was made (``edge/models/plate_det.json``)."""
    data: dict[str, Any] = json.loads(PROVENANCE.read_text())
    return data


def load_plate_detector(max_side: int = MAX_SIDE, threads: int = 1) -> PlateDetector | None:
    """The shipped model, or None (with a warning) when the file is missing."""
    if not MODEL.is_file():
        log.warning("own plate detector %s missing: make train-models", MODEL)
        return None
    return PlateDetector(MODEL, max_side, threads)
