"""Plate reading: accuracy on the shared real set and on generated regional plates, speed, memory.

Run ``make bench-plates`` (flags: ``--help``).  Reports, in one run:

* real frames (``../shared/datasets/plates-openalpr``, eu/us/br): top-1 exact plate %,
  character accuracy (1 - Levenshtein / length), and median ms per frame of
  :class:`edge.plate_reader.PlateReader` on the whole frame, one thread; the
  baselines of ``bench/baselines.py`` on the same frames beside it;
* generated KZ/TM/RU/UZ frames (``edge.plate_synth``, seed 9090, not used in
  development): exact % per country and median ms;
* speed on generated 1080p frames with a plate, beside the bare detector call on the
  same frames (the floor of any reader built on it);
* the motion gate on a still 1080p frame (the cost of an empty lane);
* peak RSS of the edge agent (``shekara-edge run``, plates on) reading a truck clip,
  and of this process.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core, as on a busy lane box

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO)]

from baselines import HaarTesseract, RapidOCRWholeFrame  # noqa: E402

from edge.evidence import EvidenceStore  # noqa: E402
from edge.motion import MotionGate  # noqa: E402
from edge.plate_lane import PlateLane  # noqa: E402
from edge.plate_reader import PROPOSALS, PlateReader  # noqa: E402
from edge.plate_synth import COUNTRIES, Look, generate, scene, truck_clip  # noqa: E402
from edge.voting import edit_distance  # noqa: E402
from shekara.localbroker import LocalBroker  # noqa: E402
from shekara.localstack import EdgeProcess  # noqa: E402
from shekara.plates import formats, random_plate  # noqa: E402

DATASET = REPO.parent / "shared" / "datasets" / "plates-openalpr"


def ours(reader: PlateReader, countries: list[str] | None = None) -> Callable[[np.ndarray], str]:
    """The project's reader as a frame -> top plate text function.

    ``countries``, when given, collects the country of each top reading ("" for none).
    """

    def read(frame: np.ndarray) -> str:
        hits = reader.read(frame)
        if countries is not None:
            countries.append((hits[0].readings[0].country or "") if hits else "")
        return hits[0].readings[0].text if hits else ""

    return read


def crop_reader(reader: PlateReader) -> Callable[[np.ndarray], str]:
    """The recognizer alone on a crop (no detection): the ceiling of the reader."""

    def read(crop: np.ndarray) -> str:
        hit = reader.read_crop(crop)
        return hit.readings[0].text if hit else ""

    return read


def score(
    read: Callable[[np.ndarray], str], labels: list[Path], crop: bool = False
) -> dict[str, float]:
    """Exact %, character accuracy % and median ms over openalpr-style labelled frames."""
    exact, chars, times = 0, 0.0, []
    read(np.zeros((64, 64, 3), np.uint8))  # model sessions load outside the timing
    for label in labels:
        name, x, y, w, h, truth = label.read_text().strip().split("\t")
        frame = cv2.imread(str(label.parent / name))
        if frame is None:
            raise FileNotFoundError(label.parent / name)
        if crop:
            left, top = max(0, int(x)), max(0, int(y))
            frame = frame[top : top + int(h), left : left + int(w)]
        start = time.perf_counter()
        got = read(frame)
        times.append((time.perf_counter() - start) * 1000)
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


def speed_1080p(reader: PlateReader, n: int = 40) -> tuple[float, float]:
    """Median ms of a full read and of the bare detector call, on 1080p frames with a plate."""
    pick, rng = random.Random(7), np.random.default_rng(7)
    regional = [f for f in formats() if f.country in COUNTRIES]
    frames = []
    for _ in range(n):
        fmt = pick.choice(regional)
        frames.append(scene(fmt, random_plate(fmt, pick), Look(), rng, size=(1920, 1080))[0])
    reader.read(frames[0])  # sessions created outside the timing
    detector = reader._models()[0]
    full, bare = [], []
    for frame in frames:
        start = time.perf_counter()
        reader.read(frame)
        full.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        detector.boxes(frame)
        bare.append((time.perf_counter() - start) * 1000)
    return statistics.median(full), statistics.median(bare)


def edge_agent_peak_mb(workdir: Path) -> float:
    """Peak RSS (MB) of ``shekara-edge run`` with plates on, reading a 1280x720 truck clip."""
    pick = random.Random(11)
    regional = [f for f in formats() if f.country in COUNTRIES]
    trucks = [(f, random_plate(f, pick)) for f in pick.sample(regional, 3)]
    video = workdir / "lane.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter.fourcc(*"MJPG"), 10, (1280, 720))
    for frame in truck_clip(trucks, np.random.default_rng(11)):
        writer.write(frame)
    writer.release()
    broker = LocalBroker(workdir / "broker")
    broker.start()
    edge = EdgeProcess(workdir / "edge", device_id="bench-lane-1", checkpoint="temirbaba",
                       lane="entry-1", source=str(video), mqtt_port=broker.port, fps=10,
                       until_drained=True, plates=True)  # fmt: skip
    try:
        edge.start()
        assert edge.proc is not None
        # VmHWM is the process's own high-water mark (reset at exec, unlike the
        # ru_maxrss of a forked child); it only grows, so the last sample is the peak.
        status_file, peak_kb = Path(f"/proc/{edge.proc.pid}/status"), 0
        while edge.proc.poll() is None:
            try:
                hwm = next(x for x in status_file.read_text().splitlines() if x.startswith("VmHWM"))
                peak_kb = max(peak_kb, int(hwm.split()[1]))
            except (OSError, StopIteration):
                pass  # exiting between poll() and the read
            time.sleep(0.05)
        if edge.proc.returncode != 0:
            raise RuntimeError(edge.log_path.read_text()[-2000:])
        return peak_kb / 1024
    finally:
        edge.stop()
        broker.kill()


def clip_passages(reader: PlateReader, workdir: Path, clips: int = 10) -> dict[str, int]:
    """Trucks driven past a lane (:func:`truck_clip`, 3 each): passages, exact, duplicates."""
    pick, rng = random.Random(5), np.random.default_rng(5)
    regional = [f for f in formats() if f.country in COUNTRIES]
    out = {"trucks": 0, "passages": 0, "exact": 0, "duplicates": 0}
    for c in range(clips):
        trucks = [(f, random_plate(f, pick)) for f in pick.sample(regional, 3)]
        lane = PlateLane(EvidenceStore(workdir / f"clip{c}"), reader=reader)
        events = []
        for i, frame in enumerate(truck_clip(trucks, rng)):
            events += lane(frame, i * 0.1)
        events += lane.flush()
        plates = [body["plate"] for kind, body in events if kind == "vehicle.passage"]
        out["trucks"] += len(trucks)
        out["passages"] += len(plates)
        out["exact"] += sum(text in plates for _, text in trucks)
        out["duplicates"] += len(plates) - len(set(plates))
    return out


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``make bench-plates``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-country", type=int, default=1000, help="generated frames each")
    parser.add_argument("--no-baselines", action="store_true", help="skip the baseline rows")
    parser.add_argument(
        "--proposals", type=int, default=PROPOSALS, help="classical regions read per frame"
    )
    parser.add_argument("--real-limit", type=int, default=0, help="first N real frames per set")
    args = parser.parse_args(argv)
    reader = PlateReader(proposals=args.proposals)
    rows = []
    baselines: list[HaarTesseract | RapidOCRWholeFrame] = [RapidOCRWholeFrame()]
    if (why := HaarTesseract.unavailable()) is None:
        baselines.insert(0, HaarTesseract())
    elif not args.no_baselines:
        print(f"Haar + Tesseract baseline skipped: {why}", file=sys.stderr)
    if DATASET.is_dir():
        for subset in ("eu", "us", "br"):
            labels = sorted((DATASET / subset).glob("*.txt"))
            if args.real_limit:
                labels = labels[: args.real_limit]
            rows.append((f"real {subset}", score(ours(reader), labels)))
            rows.append((f"real {subset}: recognizer on the labelled crop (ceiling)",
                         score(crop_reader(reader), labels, crop=True)))  # fmt: skip
            for baseline in [] if args.no_baselines else baselines:
                rows.append((f"real {subset}: {baseline.name}", score(baseline.read_text, labels)))
    else:
        print(f"{DATASET} is absent: real-frame rows skipped", file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        # Iran: read by the project's own Persian recognizer (edge/persian_reader.py).
        flagged: list[str] = []
        for country in (*COUNTRIES, "IR"):
            folder = Path(tmp) / country
            generate(folder, country, args.per_country, seed=9090)
            labels = sorted(folder.glob("*.txt"))
            seen: list[str] = []
            rows.append((f"generated {country}", score(ours(reader, seen), labels)))
            if country == "IR":
                flagged = seen[1:]  # the first is score()'s warm-up on a blank frame
        full_ms, bare_ms = speed_1080p(reader)
        clips = clip_passages(reader, Path(tmp))
        agent_mb = edge_agent_peak_mb(Path(tmp))
    command = " ".join(["bench/bench_plates.py", *(argv or sys.argv[1:])])
    when = time.strftime("%Y-%m-%d %H:%M")
    print(f"# Plate benchmark\n\n`{command}`, {when}, nproc {os.cpu_count()}, OMP_NUM_THREADS=1, "
          f"classical proposals per frame: {args.proposals}\n")  # fmt: skip
    print("| set | frames | exact plate % | character accuracy % | median ms/frame |")
    print("|---|---|---|---|---|")
    for name, r in rows:
        print(f"| {name} | {r['n']:.0f} | {r['exact']:.1f} | {r['chars']:.1f} | {r['ms']:.0f} |")
    print(
        f"\n1080p generated frames with a plate: median {full_ms:.0f} ms per read; the bare "
        f"detector call on the same frames (ceiling): {bare_ms:.0f} ms."
    )
    print(
        f"Truck clips (10 x 3 regional trucks, 1280x720, 10 fps): {clips['trucks']} trucks, "
        f"{clips['passages']} vehicle.passage events, {clips['exact']} with the exact plate, "
        f"{clips['duplicates']} duplicates."
    )
    if flagged:
        share = 100 * flagged.count("IR") / len(flagged)
        print(f"Generated Iranian frames flagged IR (top reading's country): {share:.1f}%.")
    print(f"Motion gate on a still 1080p frame: median {still_frame_ms():.1f} ms.")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"Peak RSS of the edge agent (plates on, truck clip): {agent_mb:.0f} MB.")
    print(f"Peak RSS of the benchmark process (all readers loaded): {peak_mb:.0f} MB.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
