"""The OCR networks the plate reader runs, straight on ONNX Runtime, from installed wheels only.

Nothing is downloaded at run time: each model is a file inside a package installed
from PyPI (licences in ``docs/plates.md``):

* detector: PP-OCRv4 mobile text detection (DB, Liao et al. 2020), from
  ``rapidocr-onnxruntime`` 1.4.4 (Apache-2.0), installed without its dependencies by
  ``deploy/bootstrap.sh`` because it would pull in the GUI build of OpenCV.  When it is
  absent the PP-OCRv6 small detector of ``rapidocr`` 3.x is used: about four times
  slower for the same plates found (``docs/plates.md``).
* recognizer: PP-OCRv6 small text recognition (SVTR + CTC) from ``rapidocr`` 3.x, whose
  character list is stored in the model's metadata.

Running the sessions here rather than through RapidOCR's pipeline lets the reader
pick the detector's input size, pin the thread count, deskew each box itself and
get the recognizer's per-frame probabilities for format-held decoding
(:mod:`edge.ctc`).
"""

from __future__ import annotations

import importlib.util
import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

log = logging.getLogger(__name__)

ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
DETECTORS = (
    ("rapidocr_onnxruntime", "models/ch_PP-OCRv4_det_infer.onnx"),
    ("rapidocr", "models/PP-OCRv6_det_small.onnx"),
)
RECOGNIZER = ("rapidocr", "models/PP-OCRv6_rec_small.onnx")
REC_HEIGHT = 48  # the recognizer's input height; it reads one frame per 8 columns
REC_MAX_WIDTH = 1024


def model_file(package: str, relative: str) -> Path | None:
    """A model file shipped inside an installed package, or None when it is not there."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / relative
    return path if path.is_file() else None


def onnx_session(path: Path, threads: int) -> Any:
    """An ONNX Runtime CPU session pinned to ``threads`` threads, quiet below errors."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _normalise(image: np.ndarray) -> np.ndarray:
    """BGR uint8 (H, W, 3) to the (1, 3, H, W) float input both networks take."""
    x = image.astype(np.float32) * (2 / 255) - 1  # (v/255 - 0.5) / 0.5
    return x.transpose(2, 0, 1)[None]


@dataclass(frozen=True, slots=True)
class TextBox:
    """A text region: a rotated rectangle in frame pixels, and the detector's mean score."""

    center: tuple[float, float]
    size: tuple[float, float]  # width along the text, height across it
    angle: float  # degrees, as cv2.minAreaRect, normalised so width >= height
    score: float

    @property
    def bbox(self) -> tuple[int, int, int, int]:
        """Axis-aligned x, y, w, h around the rectangle."""
        points = cv2.boxPoints((self.center, self.size, self.angle))
        x, y = points.min(axis=0)
        right, bottom = points.max(axis=0)
        return int(x), int(y), math.ceil(right - x), math.ceil(bottom - y)


Region = tuple[tuple[float, float], tuple[float, float], float, float]


def rotated_regions(
    prob: np.ndarray, threshold: float, min_score: float, mode: int, min_side: int
) -> list[Region]:
    """Connected regions of ``prob`` above ``threshold`` as rotated rectangles.

    Each is ((cx, cy), (width, height), angle, mean probability) in map cells, width
    along the longer side and the angle in [-90, 90): a line and its half-turn are one
    rectangle, and plates stand upright.  Regions thinner than ``min_side`` cells or
    with a mean below ``min_score`` are dropped.
    """
    mask = (prob > threshold).astype(np.uint8)
    contours, _ = cv2.findContours(mask, mode, cv2.CHAIN_APPROX_SIMPLE)
    out: list[Region] = []
    for contour in contours:
        x, y, bw, bh = cv2.boundingRect(contour)
        if min(bw, bh) < min_side:
            continue
        region = mask[y : y + bh, x : x + bw] > 0
        score = float(prob[y : y + bh, x : x + bw][region].mean())
        if score < min_score:
            continue
        (cx, cy), (rw, rh), angle = cv2.minAreaRect(contour)
        if rw < rh:
            rw, rh, angle = rh, rw, angle - 90
        out.append(((cx, cy), (rw, rh), float((angle + 90) % 180 - 90), score))
    return out


class TextDetector:
    """DB text detection on a frame scaled so its longest side is at most ``max_side``."""

    def __init__(self, path: Path, max_side: int, threads: int = 1) -> None:
        self.path = path
        self.max_side = max_side
        self._session = onnx_session(path, threads)

    def boxes(
        self, frame: np.ndarray, threshold: float = 0.3, min_score: float = 0.5
    ) -> list[TextBox]:
        """Text boxes in ``frame`` (BGR), in frame coordinates."""
        h, w = frame.shape[:2]
        scale = min(1.0, self.max_side / max(h, w))
        # The network downsamples by 32.
        sh, sw = (max(32, round(v * scale / 32) * 32) for v in (h, w))
        prob = self._session.run(None, {"x": _normalise(cv2.resize(frame, (sw, sh)))})[0][0, 0]
        fx, fy = w / sw, h / sh
        out = []
        for (cx, cy), (rw, rh), angle, score in rotated_regions(
            prob, threshold, min_score, cv2.RETR_LIST, min_side=3
        ):
            # DB shrinks text regions when training; grow them back by the same rule
            # (offset = area * ratio / perimeter, ratio 1.6 as PaddleOCR ships it).
            grow = rw * rh * 1.6 / (2 * (rw + rh))
            out.append(
                TextBox(
                    (cx * fx, cy * fy),
                    ((rw + 2 * grow) * fx, (rh + 2 * grow) * fy),
                    angle,
                    score,
                )
            )
        return out


class TextRecognizer:
    """One text line to per-frame log-probabilities over blank and 0-9, A-Z."""

    def __init__(self, path: Path, threads: int = 1) -> None:
        self.path = path
        self._session = onnx_session(path, threads)
        characters = self._session.get_modelmeta().custom_metadata_map["character"].split("\n")
        index = {c: i + 1 for i, c in enumerate(characters)}  # class 0 is the CTC blank
        self._upper = np.array([index[c] for c in ALNUM])
        # Lower-case letters count for their capitals; digits have no second form.
        self._lower = np.array([index.get(c.lower(), index[c]) for c in ALNUM])
        self._has_lower = np.array([c.isalpha() for c in ALNUM])

    def log_probs(self, line: np.ndarray) -> np.ndarray:
        """(T, 37) log-probabilities: class 0 blank or any non-alphanumeric, 1-36 :data:`ALNUM`."""
        h, w = line.shape[:2]
        width = max(8, min(REC_MAX_WIDTH, math.ceil(REC_HEIGHT * w / max(h, 1))))
        padded = np.zeros((REC_HEIGHT, -(-width // 8) * 8, 3), np.uint8)
        padded[:, :width] = cv2.resize(line, (width, REC_HEIGHT), interpolation=cv2.INTER_CUBIC)
        x = _normalise(padded)
        x[..., width:] = 0  # padding is zero after normalisation, as the model was trained
        probs = self._session.run(None, {"x": x})[0][0]
        probs = probs[: math.ceil(width / 8) + 1]
        alnum = probs[:, self._upper] + np.where(self._has_lower, probs[:, self._lower], 0)
        # Emblems, dots and hyphens between plate groups read as nothing, like a blank.
        gap = np.clip(1 - alnum.sum(axis=1), 0, 1)
        out = np.concatenate([gap[:, None], alnum], axis=1)
        log_probs: np.ndarray = np.log(np.maximum(out, 1e-9))
        return log_probs


def crop_upright(frame: np.ndarray, box: TextBox, pad: float = 0.0) -> np.ndarray:
    """The box cut out of ``frame`` and rotated level; ``pad`` grows it, in box heights."""
    (cx, cy), (w, h) = box.center, box.size
    w, h = w + 2 * pad * h, h + 2 * pad * h
    out_w, out_h = max(1, round(w)), max(1, round(h))
    matrix = cv2.getRotationMatrix2D((cx, cy), box.angle, 1.0)
    matrix[0, 2] += out_w / 2 - cx
    matrix[1, 2] += out_h / 2 - cy
    return cv2.warpAffine(
        frame, matrix, (out_w, out_h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )


def load_detector(max_side: int, threads: int = 1) -> TextDetector:
    """The fastest detector installed (see :data:`DETECTORS`)."""
    for package, relative in DETECTORS:
        path = model_file(package, relative)
        if path is not None:
            if package != DETECTORS[0][0]:
                log.warning(
                    "PP-OCRv4 detector not installed (deploy/bootstrap.sh); using %s", path.name
                )
            return TextDetector(path, max_side, threads)
    raise FileNotFoundError("no text-detection model installed: pip install rapidocr")


def load_recognizer(threads: int = 1) -> TextRecognizer:
    """The recognizer shipped in ``rapidocr``."""
    path = model_file(*RECOGNIZER)
    if path is None:
        raise FileNotFoundError("no text-recognition model installed: pip install rapidocr")
    return TextRecognizer(path, threads)
