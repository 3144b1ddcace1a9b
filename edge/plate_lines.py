"""Text lines that make one plate together: side by side, or stacked.

The detector splits a plate wherever its characters leave a gap: the region box of
Kazakh, Russian and Uzbek plates beside the number, the two rows of a two-line plate.
A join reads the parts as one line by concatenating their recognizer outputs with a
CTC blank between, so the recognizer runs once per detected line, never per join.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edge.plate_locator import iou

Box = tuple[int, int, int, int]  # x, y, w, h


@dataclass(frozen=True, slots=True)
class Line:
    """One detected line, or a join of several: recognizer output and where it is."""

    log_probs: np.ndarray  # (T, C) log-probabilities, class 0 the CTC blank
    bbox: Box
    parts: tuple[Box, ...]  # the detected lines it joins


def joined(lines: list[Line], newest: Line | None = None, longest: int = 3) -> list[Line]:
    """Lines that make one plate together: 2..``longest`` side by side, or two stacked.

    With ``newest``, only the joins that include it: the others were made when their
    own last line came in, and each join costs a concatenation.

    Region boxes (KZ, RU, UZ) and wide gaps make the detector split one plate into
    several boxes, two-line plates always come as two.  Each join competes with its
    parts and wins only by reading better.
    """
    classes = lines[0].log_probs.shape[1] if lines else 1
    blank = np.full((1, classes), -1e9)
    blank[0, 0] = 0.0  # class 0 is the CTC blank

    def join(run: list[Line]) -> Line | None:
        if newest is not None and not any(r is newest for r in run):
            return None
        x = min(r.bbox[0] for r in run)
        y = min(r.bbox[1] for r in run)
        right = max(r.bbox[0] + r.bbox[2] for r in run)
        bottom = max(r.bbox[1] + r.bbox[3] for r in run)
        parts: list[np.ndarray] = []
        for r in run:
            parts += [r.log_probs, blank]
        boxes = tuple(r.bbox for r in run)
        return Line(np.concatenate(parts[:-1]), (x, y, right - x, bottom - y), boxes)

    out: list[Line] = []
    ordered = sorted(lines, key=lambda r: r.bbox[0])
    for i, first in enumerate(ordered):
        run = [first]
        for candidate in ordered[i + 1 :]:
            if len(run) == longest:
                break
            if follows(run[-1].bbox, candidate.bbox):
                run.append(candidate)
                out += filter(None, [join(run)])
        for below in lines:
            if stacked(first.bbox, below.bbox):
                out += filter(None, [join([first, below])])
    return out


def near(a: Box, b: Box) -> bool:
    """Whether ``b`` could be joined to ``a`` (beside it or stacked with it, or overlapping)."""
    return follows(a, b) or follows(b, a) or stacked(a, b) or stacked(b, a) or iou(a, b) > 0


def follows(left: Box, right: Box) -> bool:
    (lx, ly, lw, lh), (rx, ry, _, rh) = left, right
    gap = rx - (lx + lw)
    overlap = min(ly + lh, ry + rh) - max(ly, ry)
    return -0.3 * lh <= gap <= 0.8 * lh and overlap >= 0.5 * min(lh, rh)


def stacked(top: Box, below: Box) -> bool:
    (tx, ty, tw, th), (bx, by, bw, bh) = top, below
    gap = by - (ty + th)
    overlap = min(tx + tw, bx + bw) - max(tx, bx)
    return -0.3 * th <= gap <= 0.6 * th and overlap >= 0.6 * min(tw, bw) and 0.5 < bh / th < 2
