"""Barcode reading: each decoder alone and the edge cascade, on the zxing-cpp samples.

Run ``.venv/bin/python bench/bench_barcodes.py``.  Prints markdown tables: reads and
median decode milliseconds per format (image already loaded, decode call alone timed),
what each cascade step adds, and the cost on 1280x720 lane frames drawn by
:mod:`edge.synth`, which is what a Raspberry Pi pays per frame.  The samples live in
``../shared/datasets/barcodes-zxing-cpp`` beside the checkout; without them the
script says so and exits 0.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from edge import barcodes, labels, synth  # noqa: E402
from edge.barcodes import CodeRead, Pass  # noqa: E402
from shekara.codes import read_body  # noqa: E402

SAMPLES = REPO.parent / "shared" / "datasets" / "barcodes-zxing-cpp"
SKIP = {"qrcode-7", "pdf417-4"}  # structured append: several symbols make one message
IMAGE_SUFFIXES = {".png", ".jpg", ".webp"}
FORMAT_NAMES = {
    "code128": "Code 128",
    "ean13": "EAN-13",
    "ean8": "EAN-8",
    "qrcode": "QR",
    "datamatrix": "DataMatrix",
    "pdf417": "PDF417",
}
DECODERS: dict[str, Sequence[Pass]] = {
    "zxing-cpp": (barcodes.read_zxing,),
    "pyzbar": (barcodes.read_pyzbar,),
    "combination": barcodes.DEFAULT_PASSES,
}

Sample = tuple[str, Path, str | bytes, np.ndarray]


def samples(root: Path) -> Iterator[Sample]:
    """(format, path, expected content, BGR image) for every scored sample."""
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and p.name not in SKIP):
        fmt = folder.name.rsplit("-", 1)[0]
        for path in sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES):
            binary, text = path.with_suffix(".bin"), path.with_suffix(".txt")
            # read_bytes keeps CRLF line ends, which some QR samples contain
            expected = binary.read_bytes() if binary.exists() else text.read_bytes().decode()
            image = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if image is not None:
                yield fmt, path, expected, image


def correct(reads: list[CodeRead], expected: str | bytes) -> bool:
    """A sample counts as read when one read carries exactly the expected content."""
    if isinstance(expected, bytes):
        return any(r.raw == expected for r in reads)
    return any(r.text == expected for r in reads)


def timed(fn: Callable[[], list[CodeRead]]) -> tuple[list[CodeRead], float]:
    start = time.perf_counter()
    reads = fn()
    return reads, (time.perf_counter() - start) * 1000


def cell(ok: int, n: int, ms: list[float]) -> str:
    return f"{ok}/{n}, {statistics.median(ms):.1f}" if ms else f"{ok}/{n}"


def per_format(data: list[Sample]) -> None:
    ok: dict[tuple[str, str], int] = defaultdict(int)
    ms: dict[tuple[str, str], list[float]] = defaultdict(list)
    count: dict[str, int] = defaultdict(int)
    for fmt, _, expected, image in data:
        count[fmt] += 1
        for name, passes in DECODERS.items():
            reads, elapsed = timed(partial(barcodes.decode, image, passes))
            ok[fmt, name] += correct(reads, expected)
            ms[fmt, name].append(elapsed)
            ms["all", name].append(elapsed)
            ok["all", name] += correct(reads, expected)
    count["all"] = len(data)
    print("| format | images | " + " | ".join(DECODERS) + " |")
    print("|---|---|" + "---|" * len(DECODERS))
    for fmt in [*FORMAT_NAMES, "all"]:
        if count[fmt]:
            cells = " | ".join(cell(ok[fmt, d], count[fmt], ms[fmt, d]) for d in DECODERS)
            print(f"| {FORMAT_NAMES.get(fmt, 'all')} | {count[fmt]} | {cells} |")
    print("\nEach cell: correct/images, median ms per image.\n")


def per_step(data: list[Sample]) -> None:
    print("| cascade step | runs on | reads added | median ms of the step |")
    print("|---|---|---|---|")
    pending = [(barcodes.to_gray(image), expected) for _, _, expected, image in data]
    for step in barcodes.DEFAULT_PASSES:
        still, added, ms = [], 0, []
        for gray, expected in pending:
            reads, elapsed = timed(partial(step, gray))
            ms.append(elapsed)
            added += correct(reads, expected)
            if not reads:
                still.append((gray, expected))
        print(f"| `{step.__name__}` | {len(pending)} | +{added} | {statistics.median(ms):.1f} |")
        pending = still
    print("\nA step runs only on images where every earlier step read nothing.\n")


def lane_frames(repeat: int = 15) -> None:
    rng = np.random.default_rng(7)
    label = labels.sscc_label(labels.make_sscc(rng))
    frames = {
        "empty lane, mild camera": synth.distort(synth.clutter(rng), synth.MILD, rng),
        "empty lane, noisy camera": synth.distort(
            synth.clutter(rng), synth.Distortion(noise_sigma=8, jpeg_quality=70), rng
        ),
        "SSCC label in view": synth.distort(synth.cargo_scene(rng, [label]), synth.MILD, rng),
    }
    print("| 1280x720 frame | " + " | ".join(DECODERS) + " |")
    print("|---|" + "---|" * len(DECODERS))
    for name, frame in frames.items():
        cells = []
        for passes in DECODERS.values():
            ms = [timed(partial(barcodes.decode, frame, passes))[1] for _ in range(repeat)]
            cells.append(f"{statistics.median(ms):.1f}")
        print(f"| {name} | " + " | ".join(cells) + " |")
    print("\nMedian ms per frame over", repeat, "runs (synthetic frames from edge.synth).\n")


def blurred_labels(seeds: int = 20) -> None:
    kinds = ("sscc", "container", "ean13", "qr")
    blurs = {"defocus 1.5 px": synth.Distortion(blur_sigma=1.5)}
    blurs["defocus 2 px"] = synth.Distortion(blur_sigma=2.0)
    print("| synthetic label, 1280x720 | " + " | ".join(DECODERS) + " |")
    print("|---|" + "---|" * len(DECODERS))
    for kind in kinds:
        for blur_name, blur in blurs.items():
            ok = dict.fromkeys(DECODERS, 0)
            for seed in range(seeds):
                rng = np.random.default_rng(seed)
                label = labels.random_label(rng, kind)
                frame = synth.distort(synth.cargo_scene(rng, [label]), blur, rng)
                for name, passes in DECODERS.items():
                    reads = barcodes.decode(frame, passes)
                    ok[name] += any(read_body(r)["text"] == label.text for r in reads)
            row = " | ".join(f"{ok[d]}/{seeds}" for d in DECODERS)
            print(f"| {kind}, {blur_name} | {row} |")
    print()


def main() -> int:
    if not SAMPLES.is_dir():
        print(f"{SAMPLES} is absent: the shared samples sit beside the checkout; nothing to do.")
        return 0
    data = list(samples(SAMPLES))
    barcodes.decode(data[0][3])  # load the libraries before timing
    print(f"## Barcode decoding, {len(data)} zxing-cpp samples\n")
    per_format(data)
    per_step(data)
    lane_frames()
    blurred_labels()
    return 0


if __name__ == "__main__":
    sys.exit(main())
