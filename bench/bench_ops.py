"""``make bench-ops``: the operators' dashboard, one evaluation of the alert rules, and
``shekara-hub db backup`` / ``db check``, on databases filled like a busy checkpoint's.

1. **Dashboard and alerts.** A hub database with 50 devices and 218,000 signed events,
   18,000 of them status reports, plus a week of queue traffic (``bench/hubfill.py``).
   Timed: ``hub.dashboard.snapshot.take`` (every figure the page and the JSON API show)
   with its two big parts (device health, queue figures), and ``AlertEvaluator.evaluate``
   in its steady state (the alerts already raised, as every 30 s in a running hub).
   Ceiling: the very SQL statements the call ran, caught with SQLite's trace hook and
   replayed on a plain connection with every row fetched, i.e. the call's cost without
   any of our Python.
2. **Backup and check** of a database of 50,000 such events (the hub stopped, so the
   file is self-contained).  Timed: ``hub.store.backup.backup`` (SQLite's backup API,
   integrity check, fsync, SHA-256) and ``check`` (integrity check, row counts,
   SHA-256).  Ceilings: ``shutil.copyfile`` + fsync + SHA-256 of the same file (the least
   any backup must do: read, write, make durable, hash), and SQLite's ``VACUUM INTO``;
   for the check, the SHA-256 alone and ``PRAGMA integrity_check`` alone.

Every timing is the median and the 95th percentile (nearest rank) of ``--runs`` runs,
ceilings interleaved with what they bound so load on a shared machine hits both.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import math
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from hubfill import CHECKPOINT, Clock, fill_events, fill_queue

from hub.config import HubSettings
from hub.dashboard import setup
from hub.dashboard.figures import checkpoint_figures
from hub.dashboard.health import fleet_health
from hub.dashboard.snapshot import take
from hub.queue.policy import DEFAULT_CONFIG
from hub.queue.service import QueueService
from hub.store import Store
from hub.store.backup import backup, check
from hub.store.queue_sql import QueueStore

REPO = Path(__file__).resolve().parents[1]
JOURNAL_KEY = b"b" * 32


def pct(samples: list[float], p: float) -> float:
    """The p-th percentile by nearest rank."""
    ordered = sorted(samples)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


def row(label: str, samples: list[float]) -> str:
    """A table row: median and p95 in milliseconds."""
    return f"| {label} | {statistics.median(samples) * 1e3:,.1f} | {pct(samples, 95) * 1e3:,.1f} |"


def traced(store: Store, call: Callable[[], object]) -> list[str]:
    """The SELECT statements ``call`` runs, parameters filled in (SQLite's trace hook)."""
    seen: list[str] = []
    connections = [store._writer, store._reader()]
    for conn in connections:
        conn.set_trace_callback(seen.append)
    try:
        call()
    finally:
        for conn in connections:
            conn.set_trace_callback(None)
    return [s for s in seen if s.lstrip().upper().startswith(("SELECT", "WITH"))]


def replay(conn: sqlite3.Connection, statements: list[str]) -> float:
    """Seconds to run ``statements`` and fetch every row."""
    start = time.perf_counter()
    for statement in statements:
        conn.execute(statement).fetchall()
    return time.perf_counter() - start


def timed(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def dashboard(folder: Path, devices: int, events: int, trucks: int, runs: int) -> list[str]:
    """Fill a hub database, then time the snapshot and the rules beside their bare SQL."""
    db = folder / "dashboard.db"
    now = datetime.now(UTC).replace(microsecond=0)
    started = time.perf_counter()
    with Store(db) as store:
        booked = fill_queue(store, now, trucks)
        queue_s = time.perf_counter() - started
        fill_events(store, now, devices, events)
    fill_s = time.perf_counter() - started
    settings = HubSettings(db_path=db, checkpoint=CHECKPOINT)
    with Store(db) as store:
        queue = QueueService(QueueStore(store), DEFAULT_CONFIG, JOURNAL_KEY, Clock(now))
        parts = setup.build(settings, store, queue)
        raised, _ = parts.evaluator.evaluate()  # the steady state follows this one
        snapshot = take(settings, store, queue, parts)
        waiting = {d.direction: d.waiting_total for d in snapshot.directions}
        stored = store.count_events()
        statements = {"take": traced(store, lambda: take(settings, store, queue, parts)),
                      "evaluate": traced(store, parts.evaluator.evaluate)}  # fmt: skip
        plain = sqlite3.connect(db)
        keys = ("take", "take_sql", "health", "figures", "eval", "eval_sql")
        out: dict[str, list[float]] = {k: [] for k in keys}
        window = settings.alert_outbox_reports
        for _ in range(runs):
            out["take"].append(timed(lambda: take(settings, store, queue, parts)))
            out["take_sql"].append(replay(plain, statements["take"]))
            out["health"].append(timed(lambda: fleet_health(store, parts.queries, now, window)))
            out["figures"].append(timed(lambda: checkpoint_figures(queue, parts.queries)))
            out["eval"].append(timed(parts.evaluator.evaluate))
            out["eval_sql"].append(replay(plain, statements["evaluate"]))
        plain.close()
    rules = sorted({f"{a.rule}" for a in raised})
    return [
        f"{devices} devices, {stored:,} events stored ({min(360, events // devices) * devices:,} "
        f"status reports), {booked:,} trucks booked over 7 days (waiting now: "
        f"{', '.join(f'{d} {n}' for d, n in waiting.items())}); {db.stat().st_size / 1e6:.0f} MB; "
        f"filled in {fill_s:.0f} s (queue {queue_s:.0f} s); alerts raised: "
        f"{len(raised)} ({', '.join(rules)})",
        "",
        f"| {runs} runs each | median ms | p95 ms |",
        "|---|---|---|",
        row("dashboard snapshot, `take()`", out["take"]),
        row(f"ceiling: its {len(statements['take'])} SELECTs replayed bare", out["take_sql"]),
        row("of `take()`: device health, `fleet_health()`", out["health"]),
        row("of `take()`: queue figures, `checkpoint_figures()`", out["figures"]),
        row("one evaluation of the alert rules", out["eval"]),
        row(f"ceiling: its {len(statements['evaluate'])} SELECTs replayed bare", out["eval_sql"]),
    ]


def copy_and_hash(source: Path, target: Path) -> str:
    """The least a backup does: copy, make durable, hash the copy."""
    shutil.copyfile(source, target)
    fd = os.open(target, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    return sha256(target)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def integrity(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        if conn.execute("PRAGMA integrity_check").fetchall() != [("ok",)]:
            raise RuntimeError(f"{path} fails the integrity check")


def vacuum_into(source: Path, target: Path) -> None:
    conn = sqlite3.connect(source)
    try:
        conn.execute("VACUUM INTO ?", (str(target),))
    finally:
        conn.close()


def backups(folder: Path, devices: int, events: int, runs: int) -> list[str]:
    """Fill a smaller database, then time backup and check beside their ceilings."""
    db = folder / "backup-source.db"
    with Store(db) as store:
        fill_events(store, datetime.now(UTC).replace(microsecond=0), devices, events)
    out: dict[str, list[float]] = {k: [] for k in ("backup", "copy", "vacuum", "check", "sha",
                                                   "integrity")}  # fmt: skip
    copy = folder / "copy.db"
    size = 0
    for _ in range(runs):
        copy.unlink(missing_ok=True)
        out["backup"].append(timed(lambda: backup(db, copy)))
        size = copy.stat().st_size
        copy.unlink()
        out["copy"].append(timed(lambda: copy_and_hash(db, copy)))
        copy.unlink()
        out["vacuum"].append(timed(lambda: vacuum_into(db, copy)))
        out["check"].append(timed(lambda: check(db)))
        out["sha"].append(timed(lambda: sha256(db)))
        out["integrity"].append(timed(lambda: integrity(db)))
    copy.unlink(missing_ok=True)
    found = check(db)
    return [
        f"{found.rows['events']:,} events, {db.stat().st_size / 1e6:.0f} MB "
        f"(the backup: {size / 1e6:.0f} MB), integrity {found.integrity[0]}",
        "",
        f"| {runs} runs each | median ms | p95 ms |",
        "|---|---|---|",
        row("`db backup` (backup API, integrity check, fsync, SHA-256)", out["backup"]),
        row("ceiling: `shutil.copyfile` + fsync + SHA-256", out["copy"]),
        row("reference: SQLite `VACUUM INTO` (no check, no hash)", out["vacuum"]),
        row("`db check` (integrity check, row counts, SHA-256)", out["check"]),
        row("ceiling: SHA-256 of the file alone", out["sha"]),
        row("ceiling: `PRAGMA integrity_check` alone", out["integrity"]),
    ]


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``make bench-ops``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--events", type=int, default=218_000, help="dashboard database")
    parser.add_argument("--trucks", type=int, default=5, help="per direction and hour")
    parser.add_argument("--backup-events", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="10 devices, 10,000 and 5,000 "
                        "events, 2 trucks an hour, 5 runs: a smoke test")  # fmt: skip
    args = parser.parse_args(argv)
    # The alerts the filled database raises are listed in the summary, not logged.
    logging.getLogger("hub.dashboard.alerts").setLevel(logging.ERROR)
    if args.quick:
        args.devices, args.events, args.trucks = 10, 10_000, 2
        args.backup_events, args.runs = 5_000, 5
    (REPO / ".bench").mkdir(exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="ops-", dir=REPO / ".bench"))
    started = time.perf_counter()
    try:
        flags = " ".join(argv if argv is not None else sys.argv[1:])
        when = time.strftime("%Y-%m-%d %H:%M")
        print(f"`{f'bench/bench_ops.py {flags}'.strip()}`, {when}, nproc {os.cpu_count()}\n",
              flush=True)  # fmt: skip
        lines = dashboard(folder, args.devices, args.events, args.trucks, args.runs)
        print("\n".join(["Dashboard and alerts: " + lines[0], *lines[1:], ""]), flush=True)
        lines = backups(folder, args.devices, args.backup_events, args.runs)
        print("\n".join(["Backup and check: " + lines[0], *lines[1:], ""]))
        print(f"whole run {time.perf_counter() - started:.0f} s")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
