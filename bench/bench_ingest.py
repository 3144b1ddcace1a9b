"""Ingest: signed events from edge outboxes through a real Mosquitto into the real hub.

Run ``make bench-ingest`` (flags: ``--help``).  One run, against its own throwaway broker
and ``shekara-hub serve`` process (as deployed: API + MQTT ingest), measures:

1. stored events/s: D devices (each its own Outbox + Publisher, as lane cameras) drain
   N events signed beforehand; N / (publishers started .. hub has stored all N).  The
   simulated edges run in this process, so they share the machine's cores with the hub;
2. publish->stored latency at a paced R events/s for S seconds from one device:
   "publish" is when ``append_many`` returned (the event is durable and the publisher is
   woken), "stored" when a reader of the hub database first sees the committed row;
3. the ceilings of bench/ceilings.py: Ed25519 verifies/s and the QoS 1 transport rate
   at the real payload size.

Markdown goes to stdout; with ``--json`` a JSON document goes to stdout, the table to stderr."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "bench")]  # bench/ is not a package

import paho.mqtt  # noqa: E402
from ceilings import ed25519_verifies_per_second, mosquitto_qos1_rate  # noqa: E402

from edge.config import MqttConfig  # noqa: E402
from edge.outbox import Outbox  # noqa: E402
from edge.publisher import Publisher  # noqa: E402
from hub.store import EventFilter, Store  # noqa: E402
from shekara import wire  # noqa: E402
from shekara.codes import barcode_body  # noqa: E402
from shekara.keys import public_path, write_keypair  # noqa: E402
from shekara.localbroker import LocalBroker, mosquitto_binary  # noqa: E402
from shekara.localstack import HubProcess  # noqa: E402

log = logging.getLogger(__name__)
GOAL_RATE, GOAL_P99_MS = 2000.0, 50.0
# What a lane camera sends most: a GS1-128 SSCC label read over 3 frames.
SSCC = b"00106141411234567897"
BODY = barcode_body("Code128", "]C1", SSCC, SSCC.decode(), "zxing-cpp", 3, (412, 288, 310, 96))
EVENT = (wire.EventType.BARCODE_READ.value, BODY)


class Device:
    """One simulated camera: key registered at the hub, outbox, publisher."""

    def __init__(self, work: Path, hub: HubProcess, broker_port: int, name: str) -> None:
        key_file = work / f"{name}.key"
        self.name, self.key, self.port = name, write_keypair(key_file), broker_port
        self.address = wire.Address("bench", name, name)
        hub.add_device(name, public_path(key_file), "bench", name)  # the operator's CLI
        self.outbox = Outbox(work / f"{name}-outbox.db", self.key, self.address)
        self.publisher: Publisher | None = None

    def start(self) -> Publisher:
        self.publisher = Publisher(self.outbox, self.key, self.address, MqttConfig(port=self.port))
        self.publisher.start()
        return self.publisher

    def close(self) -> None:
        if self.publisher is not None:
            self.publisher.stop()
            self.publisher = None
        self.outbox.close()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def throughput(devices: list[Device], store: Store, n: int, pids: dict[str, int]) -> dict[str, Any]:
    per = n // len(devices)
    total, t = per * len(devices), time.perf_counter()
    for dev in devices:  # signing is the edge's cost, not ingest's: done before timing
        dev.outbox.append_many([(*EVENT, wire.utc_timestamp())] * per)
    log.info("signed %d events in %.1f s; publishing", total, time.perf_counter() - t)
    base, samples, edges_done = store.count_events(), [(0.0, 0)], (0.0, 0)
    cpu = {name: cpu_seconds(pid) for name, pid in pids.items()}
    start = time.perf_counter()
    publishers = [dev.start() for dev in devices]
    while (stored := store.count_events() - base) < total:
        now = time.perf_counter() - start
        if now > max(60.0, total / 100):
            raise TimeoutError(f"the hub stored {stored} of {total} events in {now:.0f} s")
        # The edges share these cores until the broker has acknowledged all they send.
        if not edges_done[0] and sum(p.acked_total for p in publishers) >= total:
            edges_done = (now, stored)
        samples.append((now, stored))
        time.sleep(0.005)
    elapsed = time.perf_counter() - start
    edges_done = edges_done if edges_done[0] else (elapsed, total)
    t10 = next(s for s, k in samples if k >= total * 0.1)  # without connect-up and tail
    t90 = next((s for s, k in samples if k >= total * 0.9), elapsed)
    return {
        "events": total,
        "devices": len(devices),
        "seconds": elapsed,
        "rate": total / elapsed,
        "rate_10_90": 0.8 * total / (t90 - t10) if t90 > t10 else None,
        "edges_done_s": edges_done[0],
        "rate_while_edges_publish": edges_done[1] / edges_done[0],
        "rate_after_edges_done": (total - edges_done[1]) / max(1e-3, elapsed - edges_done[0]),
        # 1.0 = one core busy for the whole phase; the GIL caps the hub near 1.
        "cores_used": {k: (cpu_seconds(pid) - cpu[k]) / elapsed for k, pid in pids.items()},
        "timeline": samples[::50],  # (s, stored) about every 0.25 s
    }


def latency(dev: Device, store: Store, rate: float, seconds: float) -> dict[str, Any]:
    publisher = dev.start()
    if not publisher.connected.wait(10):
        raise TimeoutError("the paced device did not connect")
    count, appended, visible, append_ms = int(rate * seconds), {}, {}, []
    done = threading.Event()

    def watch() -> None:
        # The hub stamps received_at before it verifies and commits, so "stored" is when a
        # reader first sees the committed row, polled every 0.5 ms (same machine clock).
        seen = store.count_events(dev.name)
        while not done.is_set():
            now_stored, now = store.count_events(dev.name), time.time()
            visible.update(dict.fromkeys(range(seen + 1, now_stored + 1), now))
            seen = now_stored
            time.sleep(0.0005)

    watcher = threading.Thread(target=watch, name="stored-watch", daemon=True)
    watcher.start()
    try:
        start = time.perf_counter()
        for i in range(count):
            time.sleep(max(0.0, start + i / rate - time.perf_counter()))
            before = time.time()
            event = dev.outbox.append_many([(*EVENT, wire.utc_timestamp())])[0]
            appended[event["seq"]] = after = time.time()  # durable in the outbox: publish
            append_ms.append((after - before) * 1000)
            publisher.wake()
        paced_s = time.perf_counter() - start
        deadline = time.monotonic() + 30
        while len(visible) < count and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        done.set()
        watcher.join()
    if len(visible) < count:
        raise RuntimeError(f"only {len(visible)} of {count} paced events were stored")
    rows = store.query_events(EventFilter(device_id=dev.name, limit=count + 10))
    series = {
        "stored": [(visible[s] - t) * 1000 for s, t in appended.items()],
        "received_at": [
            (datetime.fromisoformat(r.received_at).timestamp() - appended[r.seq]) * 1000
            for r in rows
        ],
        "append": append_ms,
    }
    out: dict[str, Any] = {"rate": rate, "events": count, "achieved_rate": count / paced_s}
    for name, ms in series.items():
        q = statistics.quantiles(ms, n=100, method="inclusive")
        out[name] = {"p50": q[49], "p99": q[98], "max": max(ms)}
    return out


def environment(argv: list[str]) -> dict[str, Any]:
    mosq = subprocess.run([mosquitto_binary(), "-h"], capture_output=True, text=True)
    return {
        "command": " ".join([".venv/bin/python bench/bench_ingest.py", *argv]),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "nproc": len(os.sched_getaffinity(0)),
        "loadavg": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
        "python": sys.version.split()[0],
        "paho": paho.mqtt.__version__,
        "mosquitto": mosq.stdout.splitlines()[0].removeprefix("mosquitto version "),
    }


def table(r: dict[str, Any]) -> str:
    t, lat, c, env, h = r["throughput"], r["latency"], r["ceilings"], r["environment"], r["hub"]
    s, rx, ap = lat["stored"], lat["received_at"], lat["append"]
    verdict = {True: "ok", False: "MISSED"}
    cores = ", ".join(f"{k} {v:.2f}" for k, v in t["cores_used"].items())
    return f"""\
# Ingest benchmark

`{env["command"]}`, {env["date"]}: nproc {env["nproc"]}, load {env["loadavg"]}, \
Python {env["python"]}, paho-mqtt {env["paho"]}, Mosquitto {env["mosquitto"]}; hub defaults.

| figure | measured | ceiling (same run) | goal | verdict |
| --- | --- | --- | --- | --- |
| stored events/s ({t["events"]:,} events, {t["devices"]} devices) | {t["rate"]:,.0f} | \
Ed25519 verify {c["ed25519_verify"]:,.0f}/s (1 core); paho→Mosquitto→paho QoS 1 \
{c["mosquitto_qos1"]:,.0f} msg/s ({c["payload_bytes"]} B) | ≥ {GOAL_RATE:,.0f} | \
{verdict[t["rate"] >= GOAL_RATE]} |
| … of which 10-90% / while edges publish / after | {t["rate_10_90"] or 0:,.0f} / \
{t["rate_while_edges_publish"]:,.0f} / {t["rate_after_edges_done"]:,.0f} | | | |
| publish→stored p50 / **p99** / max at {lat["rate"]:g}/s ({lat["events"]:,} events) | \
{s["p50"]:.1f} / **{s["p99"]:.1f}** / {s["max"]:.1f} ms | | p99 < {GOAL_P99_MS:g} ms | \
{verdict[s["p99"] < GOAL_P99_MS]} |
| publish→received_at p50 / p99 (hub stamp, ms-truncated) | {rx["p50"]:.1f} / \
{rx["p99"]:.1f} ms | | | |
| edge append (sign + fsync, before publish) p50 / p99 | {ap["p50"]:.1f} / {ap["p99"]:.1f} ms \
| | | |

Throughput phase: {t["seconds"]:.1f} s, edges done publishing at {t["edges_done_s"]:.1f} s, \
cores used: {cores}; hub batches of {t["events"] / max(1, t["hub_batches"]):.0f} on average. \
Paced phase achieved {lat["achieved_rate"]:.0f}/s. Hub totals: stored {h["stored"]}, \
duplicates {h["duplicates"]}, dead letters {h["dead_letters"]}."""


def run(args: argparse.Namespace, stack: contextlib.ExitStack) -> dict[str, Any]:
    (REPO / ".bench").mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="ingest-", dir=REPO / ".bench"))
    stack.callback(shutil.rmtree, work, ignore_errors=True)  # ExitStack is LIFO: last
    broker = LocalBroker(work / "broker")
    broker.start()
    stack.callback(broker.stop)
    hub = HubProcess(work / "hub", broker.port)
    names = [f"lane-{i + 1}" for i in range(args.devices)] + ["paced"]
    devices = [Device(work, hub, broker.port, name) for name in names]
    for dev in devices:
        stack.callback(dev.close)
    hub.start()
    stack.callback(hub.stop)
    deadline = time.monotonic() + 20
    while not hub.get("/healthz")["mqtt"]["connected"]:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the hub did not connect to the broker; see {hub.log_path}")
        time.sleep(0.1)
    store = Store(work / "hub" / "hub.db")  # a reader beside the hub process (WAL)
    stack.callback(store.close)
    assert hub.proc is not None and broker.proc is not None
    pids = {"hub": hub.proc.pid, "mosquitto": broker.proc.pid, "bench (edges)": os.getpid()}
    result: dict[str, Any] = {"throughput": throughput(devices[:-1], store, args.events, pids)}
    result["throughput"]["hub_batches"] = hub.get("/healthz")["counters"]["batches"]
    log.info("throughput: %.0f events/s", result["throughput"]["rate"])
    for dev in devices[:-1]:
        dev.close()  # idle publishers would only add noise to the latency phase
    result["latency"] = latency(devices[-1], store, args.rate, args.seconds)
    result["hub"] = hub.get("/healthz")["counters"]
    hub.stop()  # the ceilings get the machine to themselves, as ingest did
    payload = devices[-1].outbox.lookup(1, 1, 1)[0].payload
    ceiling_broker = LocalBroker(work / "ceiling-broker")
    ceiling_broker.start()
    stack.callback(ceiling_broker.stop)
    log.info("ceilings: Ed25519 and Mosquitto QoS 1 at %d bytes", len(payload))
    result["ceilings"] = {
        "payload_bytes": len(payload),
        "ed25519_verify": ed25519_verifies_per_second(),
        "mosquitto_qos1": mosquitto_qos1_rate(ceiling_broker.port, 20_000, len(payload)),
    }
    return result


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=20_000, help="throughput phase events")
    parser.add_argument("--devices", type=int, default=4, help="publishing devices")
    parser.add_argument("--rate", type=float, default=200.0, help="latency phase events/s")
    parser.add_argument("--seconds", type=float, default=10.0, help="latency phase duration")
    parser.add_argument("--json", action="store_true", help="JSON on stdout, table on stderr")
    args = parser.parse_args(argv)
    if not 1 <= args.devices <= args.events or args.rate * args.seconds < 2:
        parser.error("need 1 <= devices <= events and rate * seconds >= 2")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    # SIGTERM unwinds like Ctrl-C, so the broker and hub are stopped and files removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    env = environment(argv)  # the load average before this run adds its own
    with contextlib.ExitStack() as stack:
        result = run(args, stack)
    result["environment"] = env
    print(table(result), file=sys.stderr if args.json else sys.stdout)
    if args.json:
        print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
