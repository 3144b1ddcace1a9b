"""Baseline plate readers that ``bench/bench_plates.py`` prints beside our own reader.

They exist so that the project's figures have something to be compared with in the
same run, on the same frames and the same core, rather than with numbers quoted
from elsewhere:

* :class:`HaarTesseract`: the textbook recipe, OpenCV's Haar plate cascade plus the
  ``tesseract`` command-line program on each detection.  Measured 3.5% exact on the
  openalpr real set.
* :class:`RapidOCRWholeFrame`: RapidOCR with every setting at its default on the
  whole frame, the most plausible text picked by recognition score.  Measured 74.2%
  exact at 330-750 ms per frame.

Both return one plate-like text (4-10 characters, at least one letter and one digit,
after non-alphanumerics are removed) or ``""``.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import cv2
import cv2.data  # the stubs of cv2 leave the data submodule out; mypy reads it here
import numpy as np

log = logging.getLogger(__name__)

_NOT_ALNUM = re.compile(r"[^A-Z0-9]")
PLATE_TEXT = re.compile(r"^(?=.*\d)(?=.*[A-Z])[A-Z0-9]{4,10}$")


def plate_like(text: str) -> str:
    """``text`` upper-cased with non-alphanumerics removed if it looks like a plate, else ``""``."""
    plate = _NOT_ALNUM.sub("", text.upper())
    return plate if PLATE_TEXT.match(plate) else ""


class HaarTesseract:
    """OpenCV's Haar plate cascade, then Tesseract on each detection."""

    name = "OpenCV Haar cascade + Tesseract"
    CASCADE = Path(cv2.data.haarcascades) / "haarcascade_russian_plate_number.xml"
    CROP_HEIGHT = 64  # Tesseract reads best with glyphs some 30-60 px tall
    TIMEOUT_S = 5.0

    def __init__(self) -> None:
        self._cascade = cv2.CascadeClassifier(str(self.CASCADE))

    @staticmethod
    def unavailable() -> str | None:
        """Why this baseline cannot run here, or None when it can."""
        if shutil.which("tesseract") is None:
            return "tesseract not on PATH (apt package tesseract-ocr)"
        if not HaarTesseract.CASCADE.is_file():
            return f"Haar cascade missing: {HaarTesseract.CASCADE}"
        return None

    def read_text(self, frame: np.ndarray) -> str:
        """The plate-like text of the largest detection that has one, else ``""``."""
        gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        boxes = self._cascade.detectMultiScale(
            gray, scaleFactor=1.1, minNeighbors=3, minSize=(40, 12)
        )
        # Largest first: the plate of the vehicle in the lane is the nearest one.
        for x, y, w, h in sorted(boxes, key=lambda b: -int(b[2]) * int(b[3])):
            scale = self.CROP_HEIGHT / h
            crop = cv2.resize(
                gray[y : y + h, x : x + w],
                (max(1, round(w * scale)), self.CROP_HEIGHT),
                interpolation=cv2.INTER_CUBIC,
            )
            _, binary = cv2.threshold(crop, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
            text = plate_like(self._tesseract(binary))
            if text:
                return text
        return ""

    def _tesseract(self, image: np.ndarray) -> str:
        ok, png = cv2.imencode(".png", image)
        if not ok:
            return ""
        try:
            done = subprocess.run(
                [
                    "tesseract",
                    "stdin",
                    "stdout",
                    "--psm",
                    "7",  # a single line of text, which is what a plate crop is
                    "-c",
                    "tessedit_char_whitelist=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
                ],
                input=png.tobytes(),
                capture_output=True,
                timeout=self.TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired:
            # One stuck crop should cost that frame, not the whole benchmark run.
            log.warning("tesseract timed out after %.0f s", self.TIMEOUT_S)
            return ""
        if done.returncode != 0:
            log.warning("tesseract failed: %s", done.stderr.decode(errors="replace").strip())
            return ""
        return done.stdout.decode(errors="replace")


class RapidOCRWholeFrame:
    """RapidOCR at its defaults on the whole frame: the naive use of the same wheel."""

    name = "RapidOCR defaults, whole frame"

    def __init__(self) -> None:
        self._engine: Any = None

    def _ocr(self) -> Any:
        if self._engine is None:
            from rapidocr import RapidOCR

            logging.getLogger("RapidOCR").setLevel(logging.WARNING)
            # Defaults only: they use the models bundled in the wheel, while any
            # other model type would make RapidOCR try to download one.
            self._engine = RapidOCR(params={"Global.log_level": "warning"})
        return self._engine

    def read_text(self, frame: np.ndarray) -> str:
        """The plate-like text with the highest recognition score, else ``""``."""
        result = self._ocr()(frame)
        if result.txts is None:
            return ""
        plates = [
            (float(score), plate)
            for text, score in zip(result.txts, result.scores, strict=True)
            if (plate := plate_like(str(text)))
        ]
        return max(plates)[1] if plates else ""
