"""Classical plate localisation: dense vertical strokes of dark characters on a light plate.

A few milliseconds on a 1080p frame (``docs/plates.md``), at the frame's own resolution,
so it finds plates too small for the text detector once the frame is scaled down for
it.  It proposes more regions than there are plates (grilles, signs, stickers); the
recognizer and the plate formats decide.

Per scale (character heights of about 7, 13 and 31 px): black-hat with a flat kernel
brings out dark strokes on a lighter background, the horizontal Sobel gradient keeps
vertical strokes, a closing merges a row of characters, Otsu thresholds it, and the
blobs of plate shape (aspect 1.5 to 8) are ranked by stroke density.
"""

from __future__ import annotations

import cv2
import numpy as np

SCALES = (7, 13, 31)  # px of character height the kernels are sized for
MAX_SIDE = 1280


def propose(frame: np.ndarray, limit: int = 4) -> list[tuple[int, int, int, int]]:
    """Up to ``limit`` plate-shaped regions (x, y, w, h) of ``frame`` (BGR), best first."""
    h, w = frame.shape[:2]
    scale = min(1.0, MAX_SIDE / max(h, w))
    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    if scale < 1:
        gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    found: list[tuple[float, tuple[int, int, int, int]]] = []
    for size in SCALES:
        kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (size * 2, size))
        strokes = cv2.morphologyEx(gray, cv2.MORPH_BLACKHAT, kernel)
        edges = cv2.convertScaleAbs(cv2.Sobel(strokes, cv2.CV_16S, 1, 0, ksize=3))
        edges = cv2.GaussianBlur(edges, (5, 5), 0)
        row = cv2.getStructuringElement(cv2.MORPH_RECT, (size * 2, max(3, size // 3)))
        edges = cv2.morphologyEx(edges, cv2.MORPH_CLOSE, row)
        _, mask = cv2.threshold(edges, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        square = np.ones((3, 3), np.uint8)
        mask = cv2.dilate(cv2.erode(mask, square), square, iterations=2)
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        for contour in contours:
            x, y, bw, bh = cv2.boundingRect(contour)
            if not 1.5 <= bw / bh <= 8 or bh < 8 or bw < 25 or bh > 0.3 * gray.shape[0]:
                continue
            fill = cv2.contourArea(contour) / (bw * bh)
            density = float(edges[y : y + bh, x : x + bw].mean()) * fill
            box = (int(x / scale), int(y / scale), int(bw / scale), int(bh / scale))
            found.append((density, box))
    found.sort(key=lambda f: -f[0])
    out: list[tuple[int, int, int, int]] = []
    for _, box in found:
        if all(iou(box, kept) < 0.5 for kept in out):
            out.append(box)
        if len(out) == limit:
            break
    return out


def iou(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    """Intersection over union of two x, y, w, h boxes."""
    ix = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)
