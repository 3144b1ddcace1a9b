"""``make bench-hardware``, part 2: bytes the edge outbox writes per event, for storage sizing.

Each ``barcode.read`` event goes through the edge's real path in :class:`edge.outbox.Outbox`:
signed and committed (``append_many``), then moved to ``sent`` when the broker
acknowledges it (``mark_acked``); one at a time, and in batches of ``--batch`` (a frame's
events are committed together).  The write volume comes from ``/proc/self/io``:

* ``wchar``: bytes handed to ``write``/``pwrite`` (the file system's input);
* ``write_bytes``: bytes the kernel accounts to the block layer, whole pages dirtied;
* ``syscw``: write system calls.

Beside it, two ceilings from the same run and file system: the raw envelope size (the
bytes that must reach the disk at least once), and a plain SQLite table taking the same
payloads with the same pragmas (WAL, ``synchronous=FULL``), one INSERT + COMMIT per
event or per batch: what SQLite itself costs for a durable insert, without the outbox's
second transaction, chain head and ``sent`` table.

Run ``.venv/bin/python bench/bench_outbox_io.py [--events N] [--batch B] [--dir D] [--quick]``.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge import labels
from edge.barcodes import decode
from edge.outbox import Outbox
from shekara import wire
from shekara.codes import read_body

PROC_IO = Path("/proc/self/io")
EVENTS_PER_DAY = 30_000  # 1,000 trucks a day at about 30 events each (hardware/README.md)


@dataclass(frozen=True, slots=True)
class Written:
    """Write volume per event over one run."""

    wchar: float  # bytes
    write_bytes: float  # bytes
    syscw: float  # write system calls
    ms: float  # wall time per event


def proc_io() -> dict[str, int]:
    """The counters of ``/proc/self/io`` (Linux)."""
    out = {}
    for line in PROC_IO.read_text().splitlines():
        key, _, value = line.partition(":")
        out[key.strip()] = int(value)
    return out


def measure(run: Callable[[], None], events: int) -> Written:
    """Per-event write volume of ``run``, which writes ``events`` events."""
    before, start = proc_io(), time.perf_counter()
    run()
    elapsed, after = time.perf_counter() - start, proc_io()

    def per(key: str) -> float:
        return (after[key] - before[key]) / events

    return Written(per("wchar"), per("write_bytes"), per("syscw"), elapsed * 1000 / events)


def barcode_body() -> dict[str, Any]:
    """The body of a real GS1-128 SSCC read, as the agent would send it."""
    label = labels.sscc_label(labels.make_sscc(np.random.default_rng(1)))
    return read_body(decode(label.image)[0])


def outbox_run(folder: Path, body: dict[str, Any], events: int, batch: int) -> tuple[Written, int]:
    """(write volume per event through the Outbox, envelope bytes of one event)."""
    address = wire.Address("temirbaba", "entry-1", "bench-io")
    outbox = Outbox(folder / "outbox.db", Ed25519PrivateKey.generate(), address)
    try:
        sent = outbox.append_many([(wire.EventType.BARCODE_READ, body, wire.utc_timestamp())])
        outbox.mark_acked([sent[0]["seq"]])  # tables and WAL exist before counting
        size = len(wire.encode(sent[0]))

        def run() -> None:
            for _ in range(events // batch):
                items = [(wire.EventType.BARCODE_READ, body, wire.utc_timestamp())] * batch
                done = outbox.append_many(items)
                outbox.mark_acked([e["seq"] for e in done])

        return measure(run, events // batch * batch), size
    finally:
        outbox.close()


def plain_sqlite_run(folder: Path, payload: bytes, events: int, batch: int) -> Written:
    """Write volume per event of a bare durable SQLite insert of the same payload."""
    conn = sqlite3.connect(folder / "plain.db", isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("CREATE TABLE t (seq INTEGER PRIMARY KEY, payload BLOB)")
        conn.execute("INSERT INTO t (payload) VALUES (?)", (payload,))

        def run() -> None:
            for _ in range(events // batch):
                conn.execute("BEGIN IMMEDIATE")
                conn.executemany("INSERT INTO t (payload) VALUES (?)", [(payload,)] * batch)
                conn.execute("COMMIT")

        return measure(run, events // batch * batch)
    finally:
        conn.close()


def kib(n: float) -> str:
    return f"{n / 1024:.1f} KiB"


def row(name: str, w: Written) -> str:
    per_day = w.wchar * EVENTS_PER_DAY / 1e9
    return (
        f"| {name} | {kib(w.wchar)} | {kib(w.write_bytes)} | {w.syscw:.1f} "
        f"| {w.ms:.2f} | {per_day:.2f} GB |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=3000, help="events per run")
    parser.add_argument("--batch", type=int, default=10, help="events per batched commit")
    parser.add_argument("--dir", type=Path, default=Path("/var/tmp"), help="file system to test")
    parser.add_argument("--quick", action="store_true", help="500 events per run")
    args = parser.parse_args()
    events = 500 if args.quick else args.events
    if events < args.batch or args.batch < 1:
        parser.error("need --batch >= 1 and --events >= --batch")
    if not PROC_IO.is_file():
        print(f"{PROC_IO} is absent (not Linux?): nothing to measure.")
        return 0
    body = barcode_body()
    print(f"### Outbox writes per `barcode.read` event, {events} events per run, in {args.dir}\n")
    print("| path | wchar / event | write_bytes / event | write calls / event | ms / event "
          f"| wchar at {EVENTS_PER_DAY:,} events/day |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    size = 0
    for batch in sorted({1, args.batch}):
        with tempfile.TemporaryDirectory(dir=args.dir, prefix="bench-io-") as tmp:
            ours, size = outbox_run(Path(tmp), body, events, batch)
            plain = plain_sqlite_run(Path(tmp), b"e" * size, events, batch)
        what = "one at a time" if batch == 1 else f"batches of {batch}"
        print(row(f"`Outbox`, {what}", ours))
        print(row(f"ceiling: plain SQLite insert, {what}", plain))
    print(f"| ceiling: the envelope itself | {kib(size)} | | | | "
          f"{size * EVENTS_PER_DAY / 1e9:.2f} GB |")  # fmt: skip
    print(
        "\n`Outbox` = `append_many` (sign, commit, fsync) then `mark_acked` (move to `sent`, "
        "fsync), per event or per batch. GB/day before the device's own write amplification.\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
