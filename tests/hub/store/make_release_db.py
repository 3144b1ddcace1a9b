"""Make the database of a past release, with that release's own code, as SQL text.

    .venv/bin/python tests/hub/store/make_release_db.py 2401693

writes ``tests/hub/store/data/release-2401693.sql``, which ``test_upgrade.py`` loads
and opens with the current code.  The revision's tree is exported with ``git archive``
(read-only: no worktree or branch is made in the checkout, which others may be using)
and the database is built by a child Python whose import path starts with that tree,
so every row is written by the old release's store, ingest, queue, notification and
certificate code.  What is built: two devices with signed, chained events, a dead
letter, a login, a carrier token, the queue policy and two bookings, a notification,
and a certificate in the log with a signed checkpoint.  The keys come from fixed
seeds (below), so the test can verify the signatures and the checkpoint.
"""

from __future__ import annotations

import hashlib
import io
import os
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
ORIGIN = "shekara.temirbaba/log"


def seed_key(label: str) -> bytes:
    """32 bytes of Ed25519 seed for ``label``: the fixture's keys are reproducible."""
    return hashlib.sha256(f"shekara release fixture: {label}".encode()).digest()


def build(out: Path) -> None:
    """Run inside the old release's tree: write its database at ``out``."""
    import base64
    from datetime import UTC, datetime, timedelta

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    import hub
    from hub.cert import certificate
    from hub.cert.log import TransparencyLog
    from hub.ingest import Ingestor
    from hub.notify.desk import NotifyDesk, token_hash
    from hub.notify.model import NotificationIn
    from hub.queue.policy import DEFAULT_CONFIG, Category
    from hub.queue.service import QueueService
    from hub.store import Store
    from hub.store.log_sql import LogTables, NewCertificate
    from hub.store.notify_sql import NotifyStore
    from hub.store.queue_sql import QueueStore
    from shekara import wire
    from shekara.codes import gs1_check_digit

    assert Path(hub.__file__).is_relative_to(Path(sys.path[0])), hub.__file__
    start = datetime(2026, 11, 21, 6, 0, tzinfo=UTC)

    def clock() -> datetime:
        return start

    def key(label: str) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(seed_key(label))

    store = Store(out)
    ingest = Ingestor(store)
    for n, lane in enumerate(("entry-1", "exit-1"), start=1):
        device_key = key(f"device {lane}")
        address = wire.Address("temirbaba", lane, f"tmb-{lane}")
        store.add_device(address.device, device_key.public_key(), "temirbaba", lane)
        prev = wire.GENESIS_HASH
        for seq in range(1, 7):
            text = f"ABCU123456{n}"
            body = ({"symbology": "Code128", "text": text, "decoder": "zxing-cpp",
                     "raw_b64": base64.b64encode(text.encode()).decode()}
                    if seq % 3 else
                    {"fps": 10.0, "outbox_depth": 0, "camera": "ok",
                     "software_version": "0.1.0", "uptime_s": seq})  # fmt: skip
            event = wire.make_event(
                device_key, address, seq=seq, prev_hash=prev,
                event_type="barcode.read" if seq % 3 else "device.status", body=body,
                captured_at=wire.utc_timestamp(start + timedelta(seconds=seq)),
                event_id=f"01KQ{n:02d}{seq:020d}",
            )  # fmt: skip
            outcome = ingest.process(address.topic(wire.Channel.EVENTS), wire.encode(event))
            assert outcome.kind.value == "stored", outcome
            prev = wire.event_hash(event)
    dead = ingest.process("shekara/v1/temirbaba/entry-1/tmb-entry-1/events", b"{not json")
    assert dead.reason == "malformed_json", dead

    queue_store = QueueStore(store)
    queue_store.add_user("aidana", "$argon2id$v=19$m=65536,t=3,p=4$fixture$fixture", "operator",
                         wire.utc_timestamp(start))  # fmt: skip
    queue = QueueService(queue_store, DEFAULT_CONFIG, b"k" * 32, clock)
    queue.publish_policy()
    for plate in ("123ABC02", "456DEF02"):
        queue.book("kz-tm", Category.GENERAL, start + timedelta(hours=3), (plate, "KZ"), [],
                   "Aidos Serikbayev", "+7 701 555 0101", "Caspian Freight")  # fmt: skip

    notify = NotifyStore(store)
    notify.add_token(token_hash("fixture-carrier-token"), "KZ-CARRIER-1",
                     wire.utc_timestamp(start))  # fmt: skip
    sscc = "04601234" + "1".zfill(9)
    doc = {
        "notification_id": "CF-2026-0001", "amendment": 0,
        "submitted_at": start.isoformat(), "crossing": "temirbaba", "direction": "kz-tm",
        "eta": {"earliest": (start + timedelta(hours=4)).isoformat(),
                "latest": (start + timedelta(hours=8)).isoformat()},
        "references": {"tir_carnet": "XC12345678", "cmr": "CMR-77120"},
        "conveyance": {
            "tractor": {"plate": "123ABC12", "country": "KZ"}, "vin": "XTC65115X91234567",
            "trailers": [{"plate": "456ABD12", "country": "KZ"}],
            "carrier_id": "KZ-CARRIER-1", "carrier_name": "Caspian Freight",
        },
        "drivers": [{"name": "Aidos Serikbayev", "document": "N12345678",
                     "nationality": "KZ", "phone": "+7 701 555 0101"}],
        "equipment": {"containers": ["CSQU3054383"], "seals": ["KZ778812"]},
        "consignments": [{
            "consignor": "Mangystau Flour LLP", "consignee": "Balkan Trade HJ",
            "transport_document": "CMR-77120", "gross_kg": 20500,
            "items": [{
                "hs_code": "110100", "description": "Wheat flour", "packages": 20,
                "package_type": "PX", "gross_kg": 20500, "net_kg": 20000,
                "ssccs": [sscc + gs1_check_digit(sscc)],
                "certificates": [{"kind": "phytosanitary", "number": "PH-2026-118"}],
            }],
        }],
    }  # fmt: skip
    NotifyDesk(notify, queue, clock=clock).submit(NotificationIn.model_validate(doc),
                                                  "KZ-CARRIER-1")  # fmt: skip

    log = TransparencyLog(LogTables(store), ORIGIN, key("log"), clock)
    cert = {"v": 1, "id": "TEMIRBABA-2026-00000001", "issuer": {"log": ORIGIN, "key_id": "00"},
            "consignment": {"gross_kg": 20500, "items": 1},
            "vehicle": {"tractor": "123ABC12"}}  # fmt: skip
    log.append([NewCertificate(cert["id"], wire.utc_timestamp(start), cert,
                               certificate.digest(cert))])  # fmt: skip
    log.checkpoint()
    store.close()


def dump(db: Path, revision: str) -> str:
    """The database as SQL text (the standard library's dump, plus its schema version)."""
    conn = sqlite3.connect(db)
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    out = io.StringIO()
    out.write(f"-- The hub database of release {revision} (schema version {version}), made\n"
              f"-- by its code: tests/hub/store/make_release_db.py {revision}\n")  # fmt: skip
    for line in conn.iterdump():
        out.write(line + "\n")
    out.write(f"PRAGMA user_version = {version};\n")
    conn.close()
    return out.getvalue()


def export(revision: str, into: Path) -> None:
    """The revision's code (shekara, hub, edge) under ``into``, from ``git archive``."""
    tar = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", revision, "shekara", "hub", "edge"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
        archive.extractall(into, filter="data")


def main(argv: list[str]) -> int:
    """``make_release_db.py REVISION`` (or ``--build OUT`` inside the old tree)."""
    if argv[:1] == ["--build"]:
        build(Path(argv[1]))
        return 0
    if len(argv) != 1:
        print(__doc__.splitlines()[2].strip(), file=sys.stderr)
        return 2
    revision = argv[0]
    with tempfile.TemporaryDirectory() as tmp:
        tree, db = Path(tmp) / "tree", Path(tmp) / "release.db"
        tree.mkdir()
        export(revision, tree)
        env = {**os.environ, "PYTHONPATH": str(tree)}
        subprocess.run([sys.executable, "-P", __file__, "--build", str(db)], env=env, check=True,
                       cwd=tmp)  # fmt: skip
        text = dump(db, revision)
    out = HERE / "data" / f"release-{revision}.sql"
    out.parent.mkdir(exist_ok=True)
    out.write_text(text)
    print(f"wrote {out} ({len(text)} characters)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
