"""Iranian plates: a small recognizer of Persian digits and plate letters.

The PP-OCRv6 recognizer has no Arabic script (its 18,708 characters hold none of
U+0600-U+06FF), so an Iranian plate would be read as noise.  This network, trained by
``make train-models`` on generated Iranian plates only (``train/persian.py``), reads
a whole-plate crop scaled to :data:`HEIGHT` x :data:`WIDTH` grey pixels into
:data:`FRAMES` CTC frames over blank + :data:`CHARS`: the ten digits (printed Persian,
given as ASCII, the form :func:`shekara.plates.normalise` produces) and the 21 letters
of ``plate_formats.toml``'s "persian" alphabet.  It was also shown other plates with an
empty label, so a plate that is not Iranian reads as nothing.  The reader decodes
against the IR formats like any other (:func:`edge.plate_reader.read_line`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from edge.ocr_models import onnx_session
from shekara.plates import ALPHABETS

log = logging.getLogger(__name__)

MODEL = Path(__file__).with_name("models") / "persian_rec.onnx"
CHARS = "0123456789" + "".join(sorted(ALPHABETS["persian"]))
HEIGHT, WIDTH = 32, 128
FRAMES = WIDTH // 4


def prepare(crop: np.ndarray) -> np.ndarray:
    """A BGR or grey plate crop as the network's (1, 1, HEIGHT, WIDTH) input."""
    grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY) if crop.ndim == 3 else crop
    shrink = grey.shape[1] > WIDTH
    small = cv2.resize(
        grey, (WIDTH, HEIGHT), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC
    )
    out: np.ndarray = (small.astype(np.float32) / 127.5 - 1)[None, None]
    return out


class PersianRecognizer:
    """A whole-plate crop to (FRAMES, 1 + len(CHARS)) log-probabilities; class 0 is blank."""

    def __init__(self, path: Path = MODEL, threads: int = 1) -> None:
        self.path = path
        self._session: Any = onnx_session(path, threads)

    def log_probs(self, crop: np.ndarray) -> np.ndarray:
        """Per-frame log-probabilities for one crop."""
        logits = self._session.run(None, {"x": prepare(crop)})[0][0, :, 0].T  # (T, C)
        shifted = logits - logits.max(axis=1, keepdims=True)
        out: np.ndarray = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        return out


def load_persian_recognizer(threads: int = 1) -> PersianRecognizer | None:
    """The shipped model, or None (with a warning) when the file is missing."""
    if not MODEL.is_file():
        log.warning("Persian plate recognizer %s missing: Iranian plates go unread", MODEL)
        return None
    return PersianRecognizer(MODEL, threads)
