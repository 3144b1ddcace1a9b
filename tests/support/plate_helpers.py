"""Recognizer-like outputs for tests of the decoding and joining code, without the models."""

from __future__ import annotations

import numpy as np

from edge.ocr_models import ALNUM


def probs(text: str, doubt: dict[int, tuple[str, float]] | None = None) -> np.ndarray:
    """Recognizer-like log-probabilities: two frames per character, a blank after each.

    ``doubt[i] = (other, p)`` gives character ``i`` a runner-up with probability ``p``.
    """
    frames = []
    for i, ch in enumerate(text):
        row = np.full(len(ALNUM) + 1, 1e-6)
        row[ALNUM.index(ch) + 1] = 0.98
        if doubt and i in doubt:
            other, p = doubt[i]
            row[ALNUM.index(ch) + 1], row[ALNUM.index(other) + 1] = 0.98 - p, p
        blank = np.full(len(ALNUM) + 1, 1e-6)
        blank[0] = 0.98
        frames += [row, row, blank]
    return np.log(np.array(frames))
