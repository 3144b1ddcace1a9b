"""``make bench-log``: the certificate log at 1,000,000 entries.

Reports, each beside a ceiling measured in the same run:

* appends per second while the cosigner signs a checkpoint every second: one
  certificate per transaction (as a release issues it) and in batches of 100;
  ceiling: bare one-row SQLite INSERT transactions per second on the same file system;
* inclusion and consistency proof generation at 1M entries (p50 / p99); ceiling: one
  SQLite primary-key lookup;
* offline verification of a whole bundle (body digest, checkpoint signature and one
  witness cosignature, inclusion proof); ceiling: Ed25519 verifications per second.

Goals on this machine (issue 6): at least 2,000 appends/s, proof generation under 1 ms.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ceilings import ed25519_verifies_per_second
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.cert import certificate, note
from hub.cert.cosigner import Cosigner
from hub.cert.desk import CertDesk
from hub.cert.log import TransparencyLog
from hub.cert.verify import verify_bundle
from hub.cert.witness import Witness, submission_text
from hub.store import Store
from hub.store.log_sql import LogTables, NewCertificate

ORIGIN = "bench.shekara/log"


def _cert(n: int) -> NewCertificate:
    body: dict[str, Any] = {
        "v": 1, "id": f"BENCH-2026-{n:010d}", "issuer": {"log": ORIGIN, "key_id": "00000000"},
        "checkpoint": "temirbaba", "direction": "kz-tm",
        "decision": {"officer": "officer1", "at": "2026-11-21T10:00:00.000Z",
                     "action": "release", "conform": True, "seals": "intact", "seq": n,
                     "hash": f"{n:064x}"},
        "consignment": {"n": 0, "digest": f"{n:064x}", "goods_digest": f"{n:064x}",
                        "items": 3, "packages": 40, "gross_kg": 18000},
        "evidence": {"events": [f"{n:064x}"] * 4, "ssccs": [], "containers": []},
    }  # fmt: skip
    return NewCertificate(body["id"], "2026-11-21T10:00:00.000Z", body, certificate.digest(body))


def fill(log: TransparencyLog, target: int, batch: int = 5000) -> float:
    """Append up to ``target`` entries in big batches; returns entries/s."""
    start, added = time.perf_counter(), 0
    while log.size < target:
        n = min(batch, target - log.size)
        log.append([_cert(log.size + i) for i in range(n)])
        added += n
        if log.size % 100_000 < batch:
            print(f"  filled {log.size:,} entries", flush=True)
    return added / max(time.perf_counter() - start, 1e-9)


def appends(log: TransparencyLog, seconds: float, batch: int) -> tuple[float, int]:
    """Appends/s with the cosigner signing a checkpoint every second; (rate, checkpoints
    signed meanwhile)."""
    cosigner = Cosigner(log, [], interval_s=1.0)
    before = _checkpoints(log)
    cosigner.start()
    count, start = 0, time.perf_counter()
    try:
        while time.perf_counter() - start < seconds:
            log.append([_cert(log.size + i) for i in range(batch)])
            count += batch
        elapsed = time.perf_counter() - start
    finally:
        cosigner.stop()
    return count / elapsed, _checkpoints(log) - before


def _checkpoints(log: TransparencyLog) -> int:
    with sqlite3.connect(log.tables._store.path) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM log_checkpoints").fetchone()[0])


def sqlite_insert_ceiling(folder: Path, seconds: float = 3.0) -> float:
    """One-row INSERT transactions per second, WAL, synchronous NORMAL, same disk."""
    path = folder / "ceiling.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)")
    body = "x" * 700
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t (body) VALUES (?)", (body,))
        conn.execute("COMMIT")
        count += 1
    conn.close()
    return count / (time.perf_counter() - start)


def _ms(samples: list[float]) -> str:
    samples = sorted(samples)
    p99 = samples[int(len(samples) * 0.99) - 1]
    return f"p50 {statistics.median(samples) * 1e3:.3f} ms, p99 {p99 * 1e3:.3f} ms"


def proofs(log: TransparencyLog, n: int = 2000) -> dict[str, list[float]]:
    """Timings of inclusion and consistency proofs at random places in the log."""
    rng = random.Random(6)
    size = log.size
    out: dict[str, list[float]] = {"inclusion": [], "consistency": [], "lookup": []}
    conn = sqlite3.connect(log.tables._store.path)
    for _ in range(n):
        index = rng.randrange(size)
        t = time.perf_counter()
        log.inclusion(index, size)
        out["inclusion"].append(time.perf_counter() - t)
        t = time.perf_counter()
        log.consistency(rng.randrange(1, size), size)
        out["consistency"].append(time.perf_counter() - t)
        t = time.perf_counter()
        conn.execute("SELECT hash FROM log_hashes WHERE level = 0 AND idx = ?", (index,)).fetchone()
        out["lookup"].append(time.perf_counter() - t)
    conn.close()
    return out


def verification(log: TransparencyLog, folder: Path, n: int = 500) -> list[float]:
    """Whole-bundle verification times, with a real witness cosignature."""
    log_key = note.parse_verifier_key(log.verifier_key)
    witness = Witness(LogTables(Store(folder / "witness.db")), "bench.shekara/witness",
                      Ed25519PrivateKey.generate(), [log_key])  # fmt: skip
    checkpoint = log.checkpoint()
    reply = witness.add_checkpoint(submission_text(0, [], checkpoint.note).encode())
    log.tables.add_cosignature(checkpoint.size, witness.name, reply.body, "bench")
    desk = CertDesk(log, "temirbaba", None)
    witness_key = note.parse_verifier_key(witness.verifier_key)
    rng, out = random.Random(7), []
    for _ in range(n):
        cert = log.tables.certificate(f"BENCH-2026-{rng.randrange(checkpoint.size):010d}")
        assert cert is not None
        bundle = desk.bundle(cert)
        t = time.perf_counter()
        verify_bundle(bundle, log_key, [witness_key])
        out.append(time.perf_counter() - t)
    return out


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``make bench-log``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=10.0, help="per append run")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (reuse)")
    args = parser.parse_args(argv)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-log-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        store = Store(folder / "log.db")
        log = TransparencyLog(LogTables(store), ORIGIN, Ed25519PrivateKey.generate())
        print(f"log with {log.size:,} entries in {folder}", flush=True)
        if log.size < args.entries:
            print(f"bulk fill: {fill(log, args.entries):,.0f} entries/s (batches of 5,000)")
        ceiling = sqlite_insert_ceiling(folder)
        one, cps = appends(log, args.seconds, 1)
        hundred, _ = appends(log, args.seconds, 100)
        print(f"\nappends, 1-second checkpoints running ({cps} signed during the first run):")
        print(f"  one certificate per transaction  {one:8,.0f} /s   (goal >= 2,000)")
        print(f"  batches of 100                    {hundred:8,.0f} /s")
        print(f"  ceiling: bare SQLite INSERT txns  {ceiling:8,.0f} /s")
        timings = proofs(log)
        print(f"\nproofs at {log.size:,} entries (2,000 random each):")
        print(f"  inclusion proof generation     {_ms(timings['inclusion'])}   (goal < 1 ms)")
        print(f"  consistency proof generation   {_ms(timings['consistency'])}")
        print(f"  ceiling: one SQLite PK lookup  {_ms(timings['lookup'])}")
        verify = verification(log, folder)
        ed = ed25519_verifies_per_second()
        print("\noffline verification of a bundle (digest, 2 signatures, inclusion):")
        print(f"  verify_bundle                  {_ms(verify)}")
        print(f"  ceiling: 2 Ed25519 verifies    {2e3 / ed:.3f} ms ({ed:,.0f} verifies/s)")
        store.close()
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
