"""CTC decoding of a recognizer's per-frame character probabilities, free or held to a format.

The recognizer (a CRNN-style CTC model, see :mod:`edge.ocr_models`) gives, for each of
``T`` frames along the text line, log-probabilities over ``C`` classes; class 0 is the
CTC blank (Graves et al., "Connectionist Temporal Classification", ICML 2006).  A
label is read off a frame path by merging repeats and dropping blanks.

* :func:`best_path` takes the most likely class in every frame (greedy decoding).
* :func:`constrained_path` finds the most likely path whose label fits a plate format,
  one slot per character, each slot allowing a set of classes.  It is Viterbi over
  the CTC alignment lattice (states: "emitting slot j as class c" and "blank after
  slot j"), so the format is enforced with the model's own evidence: a 0 read where a
  letter must stand becomes whichever letter the model found second most likely
  there, not a letter from a fixed confusion table.

Both return the label's class indices and the path's log-probability; comparing the
two log-probabilities tells how far a format had to pull the reading.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

NEG = -1e9  # log-probability of an impossible state; finite so sums stay finite


def best_path(log_probs: np.ndarray) -> tuple[list[int], float]:
    """The greedy label (class indices) and its path log-probability."""
    best = log_probs.argmax(axis=1)
    label = [int(c) for i, c in enumerate(best) if c != 0 and (i == 0 or c != best[i - 1])]
    return label, float(log_probs.max(axis=1).sum())


def constrained_path(
    log_probs: np.ndarray, slots: Sequence[np.ndarray]
) -> tuple[list[int], float] | None:
    """The most likely path whose label has one class per slot from that slot's set.

    ``slots[j]`` is a boolean mask over the ``C`` classes (blank excluded by the
    caller).  None when no path fits: the line has fewer frames than the format
    needs, or a slot allows nothing.
    """
    frames, classes = log_probs.shape
    n = len(slots)
    if n == 0 or frames < n:
        return None
    allowed = np.stack(slots)  # (n, C)
    blank = log_probs[:, 0]
    emit = np.where(allowed[None, :, :], log_probs[:, None, :], NEG)  # (T, n, C)
    # e[j, c]: best path so far that is emitting slot j as class c; b[j]: best path in
    # the blank after j slots (b[0]: leading blank).
    e = np.full((n, classes), NEG)
    e[0] = emit[0, 0]
    b = np.full(n + 1, NEG)
    b[0] = blank[0]
    came_e = np.zeros((frames, n, classes), np.int8)  # 0 stay, 1 from blank, 2 from slot j-1
    came_c = np.zeros((frames, n, classes), np.int32)  # the slot j-1 class, when from it
    came_b = np.zeros((frames, n + 1), np.bool_)  # True: the blank follows emitting slot j-1
    left_b = np.zeros((frames, n), np.int32)  # the class slot j-1 had when the blank began
    cols = np.arange(classes)
    for t in range(1, frames):
        prev = np.full((n, classes), NEG)
        prev_class = np.zeros((n, classes), np.int32)
        if n > 1:
            # Slot j-1 to slot j straight away needs another class (a repeat would
            # merge): the best one, or the runner-up where the best is the same class.
            top2 = np.argsort(-e[:-1], axis=1)[:, :2]
            rows = np.arange(n - 1)
            first, second = e[rows, top2[:, 0]], e[rows, top2[:, 1]]
            clash = cols[None, :] == top2[:, :1]
            prev[1:] = np.where(clash, second[:, None], first[:, None])
            prev_class[1:] = np.where(clash, top2[:, 1:2], top2[:, :1])
        options = np.stack([e, np.broadcast_to(b[:n, None], (n, classes)), prev])
        came_e[t] = options.argmax(axis=0)
        came_c[t] = prev_class
        from_emit = np.full(n + 1, NEG)
        from_emit[1:] = e.max(axis=1)
        left_b[t] = e.argmax(axis=1)
        came_b[t] = from_emit > b
        b = np.maximum(b, from_emit) + blank[t]
        e = options.max(axis=0) + emit[t]
    return _walk_back(e, b, came_e, came_c, came_b, left_b)


def _walk_back(
    e: np.ndarray,
    b: np.ndarray,
    came_e: np.ndarray,
    came_c: np.ndarray,
    came_b: np.ndarray,
    left_b: np.ndarray,
) -> tuple[list[int], float] | None:
    n = e.shape[0]
    end_class = int(e[n - 1].argmax())
    score = max(float(e[n - 1, end_class]), float(b[n]))
    if score <= NEG / 2:
        return None
    label = [0] * n
    emitting, j, c = e[n - 1, end_class] >= b[n], n - 1, end_class
    if not emitting:
        j = n  # in the trailing blank
    for t in range(came_e.shape[0] - 1, 0, -1):
        if emitting:
            label[j] = c
            how = came_e[t, j, c]
            if how == 1:
                emitting = False  # came from the blank after slot j-1: index j there
            elif how == 2:
                j, c = j - 1, int(came_c[t, j, c])
        elif came_b[t, j]:
            emitting, j, c = True, j - 1, int(left_b[t, j - 1])
    if emitting:
        label[j] = c
    return label, score
