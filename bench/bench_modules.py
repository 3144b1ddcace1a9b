"""``make bench-hardware``, part 1: barcode module size and empty-frame cost for lane sizing.

Two tables for ``hardware/README.md``:

* **Smallest module the edge reads.** Labels from :mod:`edge.labels` drawn at 8 px per
  module, scaled down to the target module size with ``INTER_AREA`` (as optics and
  sensor average), placed on a cluttered 1920x1080 scene from :mod:`edge.synth`, then
  spoiled like a camera (defocus sigma 0.6 px, noise 3 grey levels, JPEG 85) and read
  by ``edge.barcodes.decode`` with ``DEFAULT_PASSES`` and with ``FAST_PASSES``
  (zxing-cpp alone, ``barcode.rescue = false``).  Each cell: labels read / labels.
  The control column is the same label at 4 px per module, the largest that fits the
  frame: what the renderer, scene and spoiling allow at all (the ceiling of the row).
* **Cost of an empty frame** (no code in view: every pass of the cascade runs) per
  camera resolution, median and range in ms, beside its ceiling: the bare
  ``zxingcpp.read_barcodes`` call on the same grey frame.

Run ``.venv/bin/python bench/bench_modules.py [--labels N] [--frames N] [--quick]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date

import cv2
import numpy as np
import zxingcpp
from cv2.typing import MatLike

from edge import labels, synth
from edge.barcodes import (
    DEFAULT_PASSES,
    FAST_PASSES,
    CodeRead,
    decode,
    read_pyzbar_rescue,
    to_gray,
)
from shekara.codes import read_body

DRAWN = 8  # px per module the labels are rendered at
MODULES = (1.25, 1.5, 1.75, 2.0, 2.25, 2.5, 3.0)
CONTROL = 4.0  # px per module of the control column
FRAME = (1920, 1080)
SIZES = ((1280, 720), (1920, 1080), (2592, 1944))
SPOIL = synth.Distortion(blur_sigma=0.6, noise_sigma=3.0, jpeg_quality=85)
Rng = np.random.Generator


def _sscc(rng: Rng) -> labels.Label:
    return labels.sscc_label(labels.make_sscc(rng), scale=DRAWN)


def _datamatrix(rng: Rng) -> labels.Label:
    return labels.gs1_datamatrix_label(labels.make_gtin(rng), "AB12CD", date(2027, 5, 1), DRAWN)


def _container_qr(rng: Rng) -> labels.Label:
    # container_label draws a QR two px per module above ``scale``.
    return labels.container_label(labels.make_container_code(rng), qr=True, scale=DRAWN - 2)


def _ean13(rng: Rng) -> labels.Label:
    return labels.ean13_label(labels.make_ean13(rng), scale=DRAWN)


SYMBOLS: dict[str, Callable[[Rng], labels.Label]] = {
    "GS1-128 (SSCC)": _sscc,
    "GS1 DataMatrix": _datamatrix,
    "QR (container code)": _container_qr,
    "EAN-13": _ean13,
}


def lane_frame(rng: Rng, label: labels.Label, module_px: float) -> MatLike:
    """A spoiled 1080p frame with ``label`` scaled to ``module_px`` per module."""
    image = label.image
    if module_px != DRAWN:
        f = module_px / DRAWN
        image = cv2.resize(image, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
    scene = synth.clutter(rng, FRAME)
    at = (200 + int(rng.integers(0, 400)), 100)
    return synth.distort(synth.place(scene, image, at, float(rng.uniform(-3, 3))), SPOIL, rng)


def found(reads: list[CodeRead], want: str) -> bool:
    """True when one read carries the label's text (GS1 compared in "(AI)value" form)."""
    return any(read_body(r)["text"] == want for r in reads)


def read_both(frame: MatLike, want: str) -> tuple[bool, bool]:
    """(read by the default cascade, read by zxing-cpp alone) for one frame.

    ``decode`` stops at the first pass that reads anything, so when zxing-cpp (the
    first pass of both) reads something the cascade returns exactly that, and when it
    reads nothing the cascade's result is that of its remaining passes: one zxing-cpp
    call serves both columns.
    """
    fast = decode(frame, FAST_PASSES)
    cascade = fast or decode(frame, DEFAULT_PASSES[1:])
    return found(cascade, want), found(fast, want)


def module_table(n: int, rng: Rng) -> None:
    sizes = (*MODULES, CONTROL)
    print(f"### Smallest module read, {FRAME[0]}x{FRAME[1]}, {n} labels per cell\n")
    head = " | ".join(f"{m:g} px" for m in MODULES)
    print(f"| symbol | {head} | {CONTROL:g} px (control) |")
    print("|---|" + "---|" * len(sizes))
    for name, make in SYMBOLS.items():
        cells = []
        for m in sizes:
            ok_cascade = ok_fast = 0
            for _ in range(n):
                label = make(rng)
                cascade, fast = read_both(lane_frame(rng, label, m), label.text)
                ok_cascade += cascade
                ok_fast += fast
            same = ok_fast == ok_cascade
            cells.append(f"{ok_cascade}/{n}" if same else f"{ok_cascade}/{n} ({ok_fast})")
        print(f"| {name} | " + " | ".join(cells) + " |")
    print(
        "\nCells: read by the default cascade; in brackets zxing-cpp alone "
        "(`FAST_PASSES`) where it differs.\n"
    )


def _ms(fn: Callable[[], object], repeat: int) -> float:
    """Best of ``repeat`` runs: the least disturbed by other work on a shared machine."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, (time.perf_counter() - start) * 1000)
    return best


def _cell(ms: list[float]) -> str:
    return f"{statistics.median(ms):.1f} ({min(ms):.0f}–{max(ms):.0f})"


def empty_cost(frames: int, rng: Rng) -> None:
    print(f"### Empty frame, ms per frame: median (range) of {frames} frames, best of 3 each\n")
    print(
        "| frame | cascade (`DEFAULT_PASSES`) | zxing-cpp only (`FAST_PASSES`) "
        "| pyzbar rescue pass alone | ceiling: bare `zxingcpp.read_barcodes` |"
    )
    print("|---|---|---|---|---|")
    for w, h in SIZES:
        images = [synth.distort(synth.clutter(rng, (w, h)), SPOIL, rng) for _ in range(frames)]
        cols: list[list[float]] = [[], [], [], []]
        for image in images:
            gray = to_gray(image)
            cols[0].append(_ms(lambda: decode(image, DEFAULT_PASSES), 3))  # noqa: B023
            cols[1].append(_ms(lambda: decode(image, FAST_PASSES), 3))  # noqa: B023
            cols[2].append(_ms(lambda: read_pyzbar_rescue(gray), 3))  # noqa: B023
            cols[3].append(_ms(lambda: zxingcpp.read_barcodes(gray), 3))  # noqa: B023
        print(f"| {w}x{h} | " + " | ".join(_cell(c) for c in cols) + " |")
    print(
        "\nThe cascade and zxing-cpp only take the BGR frame (grey conversion included); "
        "the last two columns the grey frame.\n"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=int, default=20, help="labels per table cell")
    parser.add_argument("--frames", type=int, default=9, help="empty frames per resolution")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--quick", action="store_true", help="5 labels per cell, 3 frames")
    args = parser.parse_args()
    n, frames = (5, 3) if args.quick else (args.labels, args.frames)
    if n < 1 or frames < 1:
        parser.error("--labels and --frames must be at least 1")
    rng = np.random.default_rng(args.seed)
    decode(synth.clutter(rng))  # load both libraries before anything is timed
    start = time.perf_counter()
    module_table(n, rng)
    empty_cost(frames, rng)
    print(f"({time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
