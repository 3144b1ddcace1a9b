"""The queue under load: 100 concurrent clients booking and polling, 100,000 bookings stored.

Run ``make bench-queue`` (flags: ``--help``).  One run:

1. seeds a hub database with N bookings (default 100,000) spread over the next 14 days,
   through the queue's own store (each with its plate locks and journal entry);
2. starts ``shekara-hub serve`` on it (API + MQTT worker + queue feeder, as deployed,
   with its own Mosquitto) with a queue config whose rate limits are off: every client
   here is 127.0.0.1;
3. runs C concurrent clients (default 100) for S seconds, each looping
   ``POST /api/queue/bookings`` (a new truck) then ``GET /api/queue/bookings/{ref}``;
4. the ceiling, measured the same way in the same run: ``GET /healthz``, the cheapest
   route of the same server (what HTTP, uvicorn and the client loop cost by themselves).

The clients run in this process (asyncio, one core) beside the hub (the other core).
Goal (issue 4): p99 under 100 ms for booking and position.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO)]

import httpx2  # noqa: E402

from hub.queue.journal import booking_id, keyed  # noqa: E402
from hub.queue.plates import booking_plate  # noqa: E402
from hub.queue.policy import Category, State, Stream, load_queue_config  # noqa: E402
from hub.queue.records import JournalNote, NewBooking  # noqa: E402
from hub.queue.service import new_reference  # noqa: E402
from hub.store import Store  # noqa: E402
from hub.store.queue_sql import QueueStore  # noqa: E402
from shekara.localbroker import LocalBroker  # noqa: E402
from shekara.localstack import HubProcess  # noqa: E402
from shekara.wire import utc_timestamp  # noqa: E402

GOAL_P99_MS = 100.0
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
CONFIG = """\
checkpoint = "temirbaba"
rate_per_minute = 100000000
booking_horizon_days = 30
[[directions]]
id = "kz-tm"
name = "Kazakhstan → Turkmenistan"
waiting_lanes = ["wait-out"]
entry_lanes = ["entry-1", "entry-2"]
exit_lanes = ["exit-1"]
[directions.default_capacity]
general = 1000
perishable = 100
dangerous = 20
humanitarian = 20
empty = 100
transit = 100
"""


def plate(n: int) -> str:
    """The n-th distinct Kazakh private plate (999AAA##, region 02)."""
    digits, rest = n % 1000, n // 1000
    letters = "".join(LETTERS[(rest // 26**k) % 26] for k in range(3))
    return f"{digits:03d}{letters}02"


def seed(db: Path, config_path: Path, count: int) -> float:
    """Store ``count`` booked trucks over the next 14 days; returns seconds taken."""
    config = load_queue_config(config_path)
    key = b"bench" * 8
    start = time.perf_counter()
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    with Store(db) as store:
        queue = QueueStore(store)
        for n in range(count):
            tractor = booking_plate(plate(n), "KZ")
            slot = utc_timestamp(now + timedelta(hours=4 + n % (14 * 24)))
            reference = new_reference()
            new = NewBooking(
                booking=booking_id(reference), checkpoint=config.checkpoint, direction="kz-tm",
                category=Category.GENERAL, slot=slot, stream=Stream.BOOKED, state=State.BOOKED,
                tractor=tractor, trailers=(), driver_name="Seed Driver",
                driver_phone=f"+7701{n:07d}", carrier="Seed",
            )  # fmt: skip
            note = JournalNote(
                "booked",
                {"direction": "kz-tm", "category": "general", "slot": slot, "stream": "booked",
                 "plates": [keyed(key, tractor.key)]},
                {"driver": ""},
            )  # fmt: skip
            queue.insert_booking(new, None, utc_timestamp(), note)
            if (n + 1) % 20_000 == 0:
                print(f"  seeded {n + 1}/{count}", file=sys.stderr, flush=True)
    return time.perf_counter() - start


async def _client(
    client: httpx2.AsyncClient, until: float, first: int, step: int, out: dict[str, list[float]],
    interval: float,
) -> None:  # fmt: skip
    n = first
    slot = (datetime.now(UTC) + timedelta(hours=5)).replace(minute=0, second=0, microsecond=0)
    # Paced clients start spread over one interval, as people do.
    await asyncio.sleep(random.uniform(0, interval))
    while time.perf_counter() < until:
        started = time.perf_counter()
        body = {
            "direction": "kz-tm", "category": "general",
            "slot": (slot + timedelta(hours=random.randrange(24 * 14))).isoformat(),
            "tractor": {"plate": plate(n), "country": "KZ"},
            "driver_name": "Bench Driver", "phone": f"+7702{n:07d}",
        }  # fmt: skip
        n += step
        t0 = time.perf_counter()
        resp = await client.post("/api/queue/bookings", json=body)
        out["book"].append((time.perf_counter() - t0) * 1000)
        if resp.status_code != 201:
            out["errors"].append(float(resp.status_code))
            continue
        reference = resp.json()["reference"]
        t0 = time.perf_counter()
        resp = await client.get(f"/api/queue/bookings/{reference}")
        out["position"].append((time.perf_counter() - t0) * 1000)
        if resp.status_code != 200:
            out["errors"].append(float(resp.status_code))
        await asyncio.sleep(max(0.0, interval - (time.perf_counter() - started)))


async def _ceiling_client(
    client: httpx2.AsyncClient, until: float, out: dict[str, list[float]]
) -> None:
    while time.perf_counter() < until:
        t0 = time.perf_counter()
        await client.get("/healthz")
        out["healthz"].append((time.perf_counter() - t0) * 1000)


async def load(
    url: str, clients: int, seconds: float, first: int, interval: float
) -> dict[str, Any]:
    """Latencies (ms) of the booking loop, then of the ceiling, with ``clients`` at once.

    ``interval`` 0: each client sends its next request as soon as the last is answered
    (closed loop: latency is then mostly waiting in line).  Otherwise each client starts
    a booking and a poll every ``interval`` seconds, so the load is a fixed rate.
    """
    out: dict[str, list[float]] = {"book": [], "position": [], "healthz": [], "errors": []}
    limits = httpx2.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx2.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        until = time.perf_counter() + seconds
        await asyncio.gather(*(_client(client, until, first + i, clients, out, interval)
                               for i in range(clients)))  # fmt: skip
        until = time.perf_counter() + min(seconds, 10)
        await asyncio.gather(*(_ceiling_client(client, until, out) for _ in range(clients)))
    return out


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``make bench-queue``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bookings", type=int, default=100_000, help="bookings stored first")
    parser.add_argument("--clients", type=int, default=100, help="concurrent clients")
    parser.add_argument("--seconds", type=float, default=20, help="length of the load phase")
    parser.add_argument(
        "--interval", type=float, default=0.0,
        help="seconds between one client's bookings (0: closed loop, as fast as answered)",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true", help="JSON on stdout, table on stderr")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        config = work / "queue.toml"
        config.write_text(CONFIG)
        (work / "hub").mkdir()
        seed_s = seed(work / "hub" / "hub.db", config, args.bookings)
        with LocalBroker(work / "broker") as broker:
            hub = HubProcess(work / "hub", broker.port, queue_config=str(config))
            hub.start()
            try:
                deadline = time.monotonic() + 30
                while True:
                    try:
                        hub.get("/healthz")
                        break
                    except OSError:
                        if time.monotonic() > deadline:
                            raise
                        time.sleep(0.2)
                out = asyncio.run(
                    load(hub.url, args.clients, args.seconds, args.bookings, args.interval)
                )
            finally:
                hub.stop()
    rows = []
    for name, label in (("book", "POST /api/queue/bookings"),
                        ("position", "GET /api/queue/bookings/{ref}"),
                        ("healthz", "GET /healthz (ceiling)")):  # fmt: skip
        v = out[name]
        span = args.seconds if name != "healthz" else min(args.seconds, 10)
        rows.append({"route": label, "requests": len(v), "per_s": len(v) / span,
                     "p50": pct(v, 0.5), "p95": pct(v, 0.95), "p99": pct(v, 0.99),
                     "mean": statistics.fmean(v) if v else float("nan")})  # fmt: skip
    table = [
        f"`bench/bench_queue.py {' '.join(argv or sys.argv[1:])}`, "
        f"{time.strftime('%Y-%m-%d %H:%M')}, nproc {os.cpu_count()}: {args.bookings} bookings "
        f"stored (seeded in {seed_s:.0f} s), {args.clients} concurrent clients, "
        + (
            f"each booking and polling every {args.interval:g} s, "
            if args.interval
            else "closed loop, "
        )
        + f"{args.seconds:g} s; errors: {len(out['errors'])}\n",
        "| route | requests | req/s | p50 ms | p95 ms | p99 ms | goal |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        goal = "" if "ceiling" in r["route"] else f"p99 < {GOAL_P99_MS:.0f} ms"
        table.append(f"| {r['route']} | {r['requests']} | {r['per_s']:.0f} | {r['p50']:.1f} | "
                     f"{r['p95']:.1f} | {r['p99']:.1f} | {goal} |")  # fmt: skip
    text = "\n".join(table)
    if args.json:
        print(text, file=sys.stderr)
        print(json.dumps({"rows": rows, "errors": len(out["errors"])}, indent=2))
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
