"""Plate reading: accuracy on the shared real set and on generated regional plates, speed, memory.

Run ``make bench-plates`` (flags: ``--help``).  Reports, in one run:

* real frames (``../shared/datasets/plates-openalpr``, eu/us/br): top-1 exact plate %,
  character accuracy (1 - Levenshtein / length), and median ms per frame of
  :class:`edge.plate_reader.PlateReader` on the whole frame, one thread;
* generated KZ/TM/RU/UZ frames (``edge.plate_synth``, seed 9090, not used in
  development): exact % per country and median ms;
* the motion gate on a still 1080p frame (the cost of an empty lane);
* peak RSS of this process.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core, as on a busy lane box

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO)]

from edge.motion import MotionGate  # noqa: E402
from edge.plate_reader import PlateReader  # noqa: E402
from edge.plate_synth import COUNTRIES, generate  # noqa: E402
from edge.voting import edit_distance  # noqa: E402

DATASET = REPO.parent / "shared" / "datasets" / "plates-openalpr"


def score(reader: PlateReader, labels: list[Path]) -> dict[str, float]:
    """Exact %, character accuracy % and median ms over openalpr-style labelled frames."""
    exact, chars, times = 0, 0.0, []
    for label in labels:
        name, *_, truth = label.read_text().strip().split("\t")
        frame = cv2.imread(str(label.parent / name))
        if frame is None:
            raise FileNotFoundError(label.parent / name)
        start = time.perf_counter()
        hits = reader.read(frame)
        times.append((time.perf_counter() - start) * 1000)
        got = hits[0].readings[0].text if hits else ""
        exact += got == truth
        chars += max(0.0, 1 - edit_distance(got, truth) / len(truth))
    n = len(labels)
    return {
        "n": n,
        "exact": 100 * exact / n,
        "chars": 100 * chars / n,
        "ms": statistics.median(times),
    }


def still_frame_ms(runs: int = 200) -> float:
    """Median ms of the motion gate on a still 1080p frame."""
    gate, frame = MotionGate(), np.full((1080, 1920, 3), 90, np.uint8)
    gate.check(frame)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        gate.check(frame)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``make bench-plates``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-country", type=int, default=100, help="generated frames each")
    parser.add_argument("--real-limit", type=int, default=0, help="first N real frames per set")
    args = parser.parse_args(argv)
    reader = PlateReader()
    rows = []
    if DATASET.is_dir():
        for subset in ("eu", "us", "br"):
            labels = sorted((DATASET / subset).glob("*.txt"))
            if args.real_limit:
                labels = labels[: args.real_limit]
            rows.append((f"real {subset}", score(reader, labels)))
    else:
        print(f"{DATASET} is absent: real-frame rows skipped", file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        for country in COUNTRIES:
            folder = Path(tmp) / country
            generate(folder, country, args.per_country, seed=9090)
            rows.append((f"generated {country}", score(reader, sorted(folder.glob("*.txt")))))
    command = " ".join(["bench/bench_plates.py", *(argv or sys.argv[1:])])
    when = time.strftime("%Y-%m-%d %H:%M")
    print(f"# Plate benchmark\n\n`{command}`, {when}, nproc {os.cpu_count()}, OMP_NUM_THREADS=1\n")
    print("| set | frames | exact plate % | character accuracy % | median ms/frame |")
    print("|---|---|---|---|---|")
    for name, r in rows:
        print(f"| {name} | {r['n']:.0f} | {r['exact']:.1f} | {r['chars']:.1f} | {r['ms']:.0f} |")
    print(f"\nMotion gate on a still 1080p frame: median {still_frame_ms():.1f} ms.")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"Peak RSS of the benchmark process: {peak_mb:.0f} MB.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
