"""Plate detection alternatives on the shared real set: how many plates each finds, and how fast.

Run ``make bench-detectors``.  For every labelled frame of
``../shared/datasets/plates-openalpr`` (eu, us, br), a detector "finds" the plate when
one of its boxes covers at least 60% of the labelled plate box and the plate is at
least 40% of that box.  Split plates (a detector box per character group) count as
missed here although the reader joins them, so these recalls are a floor.

Rows: the PP-OCRv6 small text detector of ``rapidocr`` and the PP-OCRv4 mobile one of
``rapidocr-onnxruntime`` at several input sizes, the project's own plate detector
(:mod:`edge.plate_detector`, trained on generated frames only) at three sizes, and the
classical localiser of :mod:`edge.plate_locator` (top 4 and top 10 proposals).  One
thread each.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO)]

from edge.ocr_models import DETECTORS, TextDetector, model_file  # noqa: E402
from edge.plate_detector import MODEL, PlateDetector, covers  # noqa: E402
from edge.plate_locator import propose  # noqa: E402

DATASET = REPO.parent / "shared" / "datasets" / "plates-openalpr"
Box = tuple[int, int, int, int]


def measure(find: Callable[[np.ndarray], list[Box]]) -> tuple[dict[str, int], float]:
    """Plates found per set, and median ms per frame."""
    found: dict[str, int] = {}
    times = []
    for label in sorted(DATASET.glob("*/*.txt")):
        name, x, y, w, h, _ = label.read_text().strip().split("\t")
        frame = cv2.imread(str(label.parent / name))
        if frame is None:
            raise FileNotFoundError(label.parent / name)
        start = time.perf_counter()
        boxes = find(frame)
        times.append((time.perf_counter() - start) * 1000)
        plate = (int(x), int(y), int(w), int(h))
        found[label.parent.name] = found.get(label.parent.name, 0) + any(
            covers(plate, b) for b in boxes
        )
    return found, statistics.median(times)


def boxes_of(detector: TextDetector | PlateDetector) -> Callable[[np.ndarray], list[Box]]:
    """A detector as a frame -> boxes function."""
    return lambda frame: [b.bbox for b in detector.boxes(frame)]


def proposals(limit: int) -> Callable[[np.ndarray], list[Box]]:
    """The classical localiser as a frame -> boxes function."""
    return lambda frame: propose(frame, limit)


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``make bench-detectors``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="320,480,640,960", help="detector input sizes, px")
    args = parser.parse_args(argv)
    if not DATASET.is_dir():
        print(f"{DATASET} is absent: nothing to measure", file=sys.stderr)
        return 0
    totals = {s: len(list((DATASET / s).glob("*.txt"))) for s in ("eu", "us", "br")}
    rows: list[tuple[str, dict[str, int], float]] = []
    for package, relative in DETECTORS:
        path = model_file(package, relative)
        if path is None:
            print(f"{package} not installed: its detector is skipped", file=sys.stderr)
            continue
        for side in map(int, args.sizes.split(",")):
            rows.append((f"{path.stem} at {side} px", *measure(boxes_of(TextDetector(path, side)))))
    if MODEL.is_file():
        for side in (384, 512, 640):
            detector = PlateDetector(MODEL, side)
            rows.append((f"own plate detector at {side} px", *measure(boxes_of(detector))))
    else:
        print(f"{MODEL} missing (make train-models): its rows are skipped", file=sys.stderr)
    for limit in (4, 10):
        rows.append((f"classical localiser, top {limit}", *measure(proposals(limit))))
    print(f"`bench/bench_detectors.py {' '.join(argv or sys.argv[1:])}`, "
          f"{time.strftime('%Y-%m-%d %H:%M')}, OMP_NUM_THREADS=1\n")  # fmt: skip
    head = " | ".join(f"{s} found /{n}" for s, n in totals.items())
    print(f"| detector | {head} | median ms/frame |\n|---|---|---|---|---|")
    for name, found, ms in rows:
        cells = " | ".join(str(found.get(s, 0)) for s in totals)
        print(f"| {name} | {cells} | {ms:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
