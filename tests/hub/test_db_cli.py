"""``shekara-hub db backup|restore|check`` as an operator runs them, against real processes.

The main case: a backup taken while a real hub ingests a real device's events through
a real Mosquitto, restored to a new path, and a hub started on it that has every event
the backup holds and whose queue journal and certificate log still verify, through its
own API and offline.
"""

from __future__ import annotations

import base64
import json
import re
import sqlite3
import subprocess
import threading
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from cert_helpers import new_cert
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hub_support import SimDevice, register
from mqtt_helpers import TestClientMQTT, wait_until
from queue_helpers import START, Clock, book, make_service
from store_audit import audit_events, audit_journal, audit_log

from hub.cert import merkle, note
from hub.cert.log import TransparencyLog
from hub.store import Store
from hub.store.log_sql import LogTables
from hub.store.schema import SCHEMA_VERSION
from shekara import wire
from shekara.keys import load_private_key, write_keypair
from shekara.localbroker import LocalBroker
from shekara.localstack import HubProcess, _script

pytestmark = pytest.mark.slow
ORIGIN = "shekara.temirbaba/log"
DEVICE = wire.Address("temirbaba", "entry-1", "tmb-entry-1")


def db_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([_script("shekara-hub"), "db", *args], capture_output=True, text=True)


def rows(output: str, table: str) -> int:
    found = re.search(rf"\b{table} (\d+)", output)
    assert found, output
    return int(found[1])


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as answer:  # our own hub
        text: str = answer.read().decode()
        return text


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, str]:
    """The hub's settings with key files of its own: a restored database needs the same
    log key to go on signing the same log (they are not in the database)."""
    folder = tmp_path / "keys"
    write_keypair(folder / "log.key")
    write_keypair(folder / "witness.key")
    return {"checkpoint": "temirbaba", "log_key_file": str(folder / "log.key"),
            "witness_key_file": str(folder / "witness.key"), "journal_key": "j" * 40}  # fmt: skip


def prefill(db: Path, device: SimDevice, log_key_file: Path) -> note.Verifier:
    """Bookings (queue journal), five certificates and a signed checkpoint; the device."""
    store, service = make_service(db, Clock())
    register(store, device.key, device.address)
    for n in range(3):
        book(service, f"{100 + n}ABC02", START + timedelta(hours=3))
    log = TransparencyLog(LogTables(store), ORIGIN, load_private_key(log_key_file))
    log.append([new_cert(n, ORIGIN) for n in range(5)])
    log.checkpoint()
    store.close()
    return note.parse_verifier_key(log.verifier_key)


def test_a_backup_taken_during_ingest_restores_to_a_hub_where_everything_verifies(
    broker: LocalBroker, tmp_path: Path, keys: dict[str, str]
) -> None:
    hub = HubProcess(tmp_path / "hub", broker.port, **keys)
    device = SimDevice(Ed25519PrivateKey.generate(), DEVICE)
    log_key = prefill(tmp_path / "hub" / "hub.db", device, Path(keys["log_key_file"]))
    hub.start()
    lane = TestClientMQTT(broker.host, broker.port)
    stop = threading.Event()

    def publish() -> None:
        while not stop.is_set():
            lane.publish(device.topic(), wire.encode(device.next()))

    def stored() -> int:
        return int(hub.get(f"/api/devices/{DEVICE.device}")["stored"])

    publisher = threading.Thread(target=publish, daemon=True)
    publisher.start()
    try:
        wait_until(lambda: stored() >= 100, timeout=30, what="ingest under way")
        before = stored()
        out = hub.cli("db", "backup", "--out", str(tmp_path / "backup.db"))
        after = stored()
    finally:
        stop.set()
        publisher.join(10)
    total = device.seq
    wait_until(lambda: stored() == total, timeout=60, what="every event stored")
    hub.stop()
    lane.close()

    saved = rows(out, "events")
    assert after > before, "the hub must have been writing while the backup ran"
    assert before <= saved <= after < total
    assert f"schema version: {SCHEMA_VERSION}" in out and "integrity:      ok" in out
    sha = re.search(r"sha256:\s+([0-9a-f]{64})", out)
    assert sha and len(sha[1]) == 64

    restored = HubProcess(tmp_path / "restored", broker.port, **keys)
    done = subprocess.run(
        [_script("shekara-hub"), "db", "restore", str(tmp_path / "backup.db"),
         "--config", str(restored.config)], capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "previous file:  (there was none)" in done.stdout
    restored.start()
    try:
        device_now = restored.get(f"/api/devices/{DEVICE.device}")
        assert (device_now["stored"], device_now["last_seq"]) == (saved, saved)
        assert device_now["gaps"] == []
        # While it runs, a restore is refused, and says why.
        refused = subprocess.run(
            [_script("shekara-hub"), "db", "restore", str(tmp_path / "backup.db"),
             "--config", str(restored.config)], capture_output=True, text=True,
        )  # fmt: skip
        assert refused.returncode == 1 and "is the hub running" in refused.stderr
        # The journal, from the restored hub's public API, verifies offline.
        journal = subprocess.run(
            [_script("shekara-hub"), "queue", "verify", "--url", restored.url],
            capture_output=True, text=True,
        )  # fmt: skip
        assert journal.returncode == 0, journal.stderr
        assert journal.stdout.startswith("OK ")
        # The log's checkpoint, signed with the same key, covers every certificate.
        text, verified = note.open_note(fetch(restored.url + "/api/log/checkpoint"),
                                        {(log_key.name, log_key.id): log_key})  # fmt: skip
        checkpoint = note.parse_checkpoint(text)
        assert verified == {ORIGIN} and checkpoint.size == 5
        for index in range(5):
            proof = json.loads(fetch(
                f"{restored.url}/api/log/proof/inclusion?index={index}&size=5"))  # fmt: skip
            leaf = merkle.leaf_hash(bytes.fromhex(new_cert(index, ORIGIN).digest))
            hashes = [base64.b64decode(h) for h in proof["hashes"]]
            merkle.verify_inclusion(index, 5, leaf, hashes, checkpoint.root)
    finally:
        restored.stop()
    with Store(tmp_path / "restored" / "hub.db") as store:
        assert audit_events(store) == {DEVICE.device: saved}
        assert audit_journal(store).entries >= 4  # the policy and three bookings
        assert audit_log(store, log_key).certificates == 5


def test_check_reports_and_fails_on_damage(tmp_path: Path) -> None:
    db = tmp_path / "hub.db"
    with Store(db) as store:
        register(store, Ed25519PrivateKey.generate(), DEVICE)
    done = db_cli("check", "--db", str(db))
    assert done.returncode == 0, done.stderr
    assert f"schema version: {SCHEMA_VERSION} (this release: {SCHEMA_VERSION})" in done.stdout
    assert "integrity:      ok" in done.stdout and rows(done.stdout, "devices") == 1
    newer = tmp_path / "newer.db"
    newer.write_bytes(db.read_bytes())
    with sqlite3.connect(newer) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    done = db_cli("check", "--db", str(newer))
    assert done.returncode == 1 and "newer than this release" in done.stdout


def test_errors_are_one_line_and_a_status(tmp_path: Path) -> None:
    db = tmp_path / "hub.db"
    Store(db).close()
    taken = tmp_path / "taken.db"
    taken.write_text("x")
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database " * 100)
    cases = [
        (("backup", "--db", str(db), "--out", str(taken)), "exists; choose a new file name"),
        (("backup", "--db", str(tmp_path / "nope.db"), "--out", str(tmp_path / "b.db")),
         "no such database file"),
        (("restore", str(taken), "--db", str(db)), "is not a Shekara hub database"),
        (("restore", str(notes), "--db", str(db)), "file is not a database"),
        (("check", "--db", str(tmp_path / "nope.db")), "no such database file"),
    ]  # fmt: skip
    for args, message in cases:
        done = db_cli(*args)
        assert done.returncode == 1, (args, done.stdout)
        assert done.stderr.startswith("shekara-hub: error: ") and message in done.stderr, args
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
