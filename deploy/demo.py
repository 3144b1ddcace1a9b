"""``make demo``: a broker, the Temirbaba hub with simulated lanes, the Garabogaz hub.

The two hubs witness each other's certificate logs (c2sp.org/tlog-witness): each
cosigns the other's checkpoints, and verifies the other's certificates at ``/verify``.
Two lanes replay generated footage of cargo labels (GS1-128 SSCC, GS1 DataMatrix, QR,
ISO 6346 container codes, EAN-13; some with wrong check digits) through the real
``shekara-edge`` agent; the real ``shekara-hub`` verifies and stores their events.
A third lane sees one notified truck, which an officer login releases: its certificate
is issued, cosigned by Garabogaz and verified there (:mod:`demo_truck`).
Everything lives in ``.demo/``; Ctrl-C stops it all.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType

from demo_truck import DEVICE, FPS, LANE, ScriptedTruck, truck_footage

from edge.synth import MILD, load_footage, write_footage
from shekara.localbroker import LocalBroker, free_port, port_is_free
from shekara.localstack import EdgeProcess, HubProcess

log = logging.getLogger(__name__)
REPO = Path(__file__).resolve().parents[1]
CHECKPOINT = "temirbaba"
NEIGHBOUR = "garabogaz"
LANES = [("tmb-entry-1", "entry-1", "entry_lane", 11), ("tmb-exit-1", "exit-1", "exit_lane", 12)]


def footage_for(root: Path, lane: str, seed: int) -> Path:
    """Generate a lane's footage once; later runs reuse it."""
    folder = root / "footage" / lane
    try:
        load_footage(folder)
    except (OSError, ValueError, KeyError):
        print(f"  generating footage for {lane} ...", flush=True)
        shutil.rmtree(folder, ignore_errors=True)
        write_footage(folder, seed=seed, n_frames=160, bad_check_every=5, distortion=MILD)
    return folder


def witness_each_other(a: HubProcess, b: HubProcess) -> None:
    """Configure each hub as the other's witness, with the keys they generate."""
    (a_log, a_witness), (b_log, b_witness) = a.verifier_keys(), b.verifier_keys()
    a.configure(witness_for=[b_log], witnesses=[f"{b_witness} {b.url}/witness"])
    b.configure(witness_for=[a_log], witnesses=[f"{a_witness} {a.url}/witness"])


def http_port() -> int:
    """8080 when it is free, so the printed URL is easy to remember; any port otherwise."""
    return 8080 if port_is_free(8080) else free_port()


def run(root: Path, duration: float | None, until_certified: bool = False) -> int:
    """Start everything, print where to look and a live count, stop on signal."""
    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    print("Shekara demo: Temirbaba checkpoint, three simulated lanes", flush=True)
    sources = {lane: footage_for(root, lane, seed) for _, lane, _, seed in LANES}
    truck_video, cargo = truck_footage(root / "footage" / LANE)
    run_dir = root / "run"
    shutil.rmtree(run_dir, ignore_errors=True)  # a fresh hub and fresh devices each time
    broker = LocalBroker(run_dir / "broker")
    broker.start()
    hub = HubProcess(run_dir / "hub", broker.port, http_port=http_port(), checkpoint=CHECKPOINT)
    neighbour = HubProcess(run_dir / "hub-garabogaz", broker.port, checkpoint=NEIGHBOUR)
    witness_each_other(hub, neighbour)
    edges = [
        EdgeProcess(
            run_dir / "edge",
            device_id=device,
            checkpoint=CHECKPOINT,
            lane=lane,
            role=role,
            source=str(sources[lane]),
            mqtt_port=broker.port,
            fps=8,
            loop=True,
            heartbeat_s=15,
        )
        for device, lane, role, _ in LANES
    ]
    truck_edge = EdgeProcess(run_dir / "edge", device_id=DEVICE, checkpoint=CHECKPOINT,
                             lane=LANE, source=str(truck_video), mqtt_port=broker.port,
                             fps=FPS, heartbeat_s=15, plates=True)  # fmt: skip
    truck = ScriptedTruck(hub, neighbour, truck_edge, cargo, say=lambda s: print(s, flush=True))
    try:
        for edge in (*edges, truck_edge):
            hub.add_device(edge.device_id, edge.public_key, CHECKPOINT, edge.lane)
        hub.start()
        neighbour.start()
        for edge in edges:
            edge.start()
        print(
            f"\n  hub            {hub.url}\n"
            f"  API docs       {hub.url}/docs\n"
            f"  operator login {hub.url}/login  as {hub.operator[0]} / {hub.operator[1]}\n"
            f"  dashboard      {hub.url}/dashboard  (queues, devices, alerts; after login)\n"
            f"  metrics        {hub.url}/metrics  (Prometheus)\n"
            f"  events         {hub.url}/api/events?type=barcode.read  (after login)\n"
            f"  devices        {hub.url}/api/devices\n"
            f"  dead letters   {hub.url}/api/dead-letters\n"
            f"  queue          {hub.url}/  (book: /book, board: /board, journal check: "
            "/api/queue/journal/verify)\n"
            f"  certificates   {hub.url}/api/log/checkpoint  (cosigned by Garabogaz), "
            f"verify: {neighbour.url}/verify\n"
            f"  Garabogaz hub  {neighbour.url}  (witness of Temirbaba's log, and back)\n"
            f"  broker         mqtt://127.0.0.1:{broker.port}  (topics shekara/v1/#)\n"
            f"  logs           {run_dir}/hub/hub.log, {run_dir}/edge/*.log\n"
            "\nCtrl-C stops everything.\n",
            flush=True,
        )
        truck.start()  # its edge starts once the truck is notified
        until = truck.finished if until_certified else None
        return _watch(hub, neighbour, [*edges, truck_edge], stop, duration, until)
    finally:
        truck.stopping.set()
        for edge in (*edges, truck_edge):
            edge.stop()
        neighbour.stop()
        hub.stop()
        broker.stop()
        print("\nstopped.", flush=True)


def _watch(
    hub: HubProcess,
    neighbour: HubProcess,
    edges: list[EdgeProcess],
    stop: threading.Event,
    duration: float | None,
    until: threading.Event | None = None,
) -> int:
    started = time.monotonic()
    while not stop.wait(2.0):
        for process in (hub, neighbour, *edges):
            if process.proc is not None and not process.alive():
                print(f"\n{process.log_path.name} process exited; see {process.log_path}")
                return 1
        try:
            health = hub.get("/healthz")
            codes = hub.get("/api/events?type=barcode.read&limit=1&order=desc")["events"]
        except OSError as exc:
            print(f"\rhub not answering: {exc}", end="", flush=True)
            continue
        last = codes[0]["body"]["text"] if codes else "-"
        print(
            f"verified events stored: {health['totals']['events']:>6}   "
            f"dead letters: {health['totals']['dead_letters']}   last code read: {last}",
            flush=True,
        )
        if duration is not None and time.monotonic() - started >= duration:
            break
        if until is not None and until.is_set():
            break
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``make demo``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=REPO / ".demo", help="working folder")
    parser.add_argument("--duration", type=float, help="stop after this many seconds")
    parser.add_argument(
        "--until-certified", action="store_true",
        help="stop once the scripted truck's certificate is verified at Garabogaz (or failed)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    return run(args.root, args.duration, args.until_certified)


if __name__ == "__main__":
    sys.exit(main())
