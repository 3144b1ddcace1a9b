"""hub/store/backup.py on real SQLite files: the copy is whole and checked, and a
restore refuses what it must (a damaged file, a newer schema, a database in use)."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hub_support import SimDevice

from hub.ingest import Ingestor
from hub.outcome import Kind
from hub.store import EventFilter, NewDeadLetter, Store
from hub.store.backup import DatabaseInUse, backup, check, ensure_not_in_use, restore
from hub.store.models import StoreError
from hub.store.schema import SCHEMA_VERSION
from shekara import wire

NOW = datetime(2026, 11, 21, 10, 30, tzinfo=UTC)


def _fill(ingestor: Ingestor, store: Store, device: SimDevice, n: int = 20) -> list[str]:
    ids = []
    for _ in range(n):
        event = device.next()
        assert ingestor.process(device.topic(), wire.encode(event)).kind is Kind.STORED
        ids.append(event["event_id"])
    store.add_dead_letter(
        NewDeadLetter("2026-11-21T10:00:00.000Z", device.topic(), "malformed_json", "test",
                      device.device_id, b"{not json", 9, hashlib.sha256(b"{not json").hexdigest())
    )  # fmt: skip
    return ids


def test_backup_is_a_checked_private_copy_of_everything(
    ingestor: Ingestor, store: Store, device: SimDevice, tmp_path: Path
) -> None:
    ids = _fill(ingestor, store, device)
    out = tmp_path / "backup.db"
    report = backup(store.path, out)  # the store stays open, as a running hub's would
    assert report.ok and report.path == out
    assert report.schema_version == SCHEMA_VERSION
    assert report.rows["events"] == 20 and report.rows["dead_letters"] == 1
    assert report.size == out.stat().st_size
    assert report.sha256 == hashlib.sha256(out.read_bytes()).hexdigest()
    assert out.stat().st_mode & 0o777 == 0o600
    # One self-contained file: nothing beside it, and not in WAL mode.
    assert sorted(p.name for p in tmp_path.glob("backup.db*")) == ["backup.db"]
    with sqlite3.connect(out) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    with Store(out) as copy:
        assert [e.event_id for e in copy.query_events(EventFilter(limit=100))] == ids
        assert copy.count_dead_letters() == 1


def test_backup_refuses_to_overwrite_and_names_a_missing_database(
    store: Store, tmp_path: Path
) -> None:
    out = tmp_path / "taken.db"
    out.write_bytes(b"precious")
    with pytest.raises(StoreError, match="exists"):
        backup(store.path, out)
    assert out.read_bytes() == b"precious"
    with pytest.raises(StoreError, match="no such database file"):
        backup(tmp_path / "nope.db", tmp_path / "new.db")
    assert not (tmp_path / "nope.db").exists()  # not created by the attempt
    assert not list(tmp_path.glob(".*partial"))


def test_restore_replaces_the_database_and_keeps_the_old_one(
    ingestor: Ingestor, store: Store, device: SimDevice, tmp_path: Path
) -> None:
    ids = _fill(ingestor, store, device, n=5)
    saved = backup(store.path, tmp_path / "saved.db")
    later = _fill(ingestor, store, device, n=3)  # written after the backup: lost by design
    db = store.path
    os.chmod(db, 0o640)
    store.close()
    report, kept = restore(saved.path, db, now=NOW)
    assert report.ok and report.rows["events"] == 5
    assert kept == db.with_name("hub.db.before-restore-20261121T103000Z")
    assert db.stat().st_mode & 0o777 == 0o640  # the replaced file's mode, not the backup's
    with Store(db) as restored:
        assert [e.event_id for e in restored.query_events(EventFilter(limit=100))] == ids
    with Store(kept) as before:
        assert before.count_events() == 8
        assert later[-1] in [e.event_id for e in before.query_events(EventFilter(limit=100))]


def test_restore_to_a_new_path(store: Store, tmp_path: Path) -> None:
    saved = backup(store.path, tmp_path / "saved.db")
    report, kept = restore(saved.path, tmp_path / "new.db", now=NOW)
    assert kept is None and report.ok
    assert (tmp_path / "new.db").exists()


def test_restore_refuses_while_a_process_has_the_database_open(
    store: Store, tmp_path: Path
) -> None:
    saved = backup(store.path, tmp_path / "saved.db")
    store.close()
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path; from hub.store import Store; "
         "s = Store(Path(sys.argv[1])); print('open', flush=True); time.sleep(60)",
         str(store.path)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "open\n"
        with pytest.raises(DatabaseInUse, match="is the hub running"):
            restore(saved.path, store.path, now=NOW)
        assert not list(tmp_path.glob("hub.db.before-restore-*"))
        assert not list(tmp_path.glob(".hub.db.restoring"))
    finally:
        holder.kill()
        holder.wait()
    ensure_not_in_use(store.path)  # free once the process is gone
    assert restore(saved.path, store.path, now=NOW)[1] is not None


def test_restore_refuses_a_damaged_file(
    ingestor: Ingestor, store: Store, device: SimDevice, tmp_path: Path
) -> None:
    _fill(ingestor, store, device, n=200)
    saved = backup(store.path, tmp_path / "saved.db")
    with sqlite3.connect(saved.path) as conn:
        page = conn.execute("PRAGMA page_size").fetchone()[0]
        (root,) = conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = 'events_received_at'"
        ).fetchone()
    damaged = bytearray(saved.path.read_bytes())
    # Scribble over an index's pages: the file still opens, the check fails.
    start = (root - 1) * page
    damaged[start + 8 : start + page] = b"\xa5" * (page - 8)
    bad = tmp_path / "damaged.db"
    bad.write_bytes(bytes(damaged))
    assert not check(bad).ok
    with pytest.raises(StoreError, match="fails the integrity check"):
        restore(bad, tmp_path / "target.db", now=NOW)
    assert not (tmp_path / "target.db").exists()
    not_sqlite = tmp_path / "notes.txt"
    not_sqlite.write_text("hello " * 1000)
    with pytest.raises(StoreError, match="not a database"):
        restore(not_sqlite, tmp_path / "target.db", now=NOW)


def test_restore_refuses_a_newer_schema_and_a_foreign_database(
    store: Store, tmp_path: Path
) -> None:
    saved = backup(store.path, tmp_path / "saved.db")
    with sqlite3.connect(saved.path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match=f"newer than this release's {SCHEMA_VERSION}"):
        restore(saved.path, store.path, now=NOW)
    foreign = tmp_path / "foreign.db"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE things (x)")
    with pytest.raises(StoreError, match="not a Shekara hub database"):
        restore(foreign, store.path, now=NOW)
