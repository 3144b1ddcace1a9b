"""The SQLite store on real files: pragmas, schema version, queries, dead letters."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hub_support import SimDevice

from hub.ingest import Ingestor
from hub.store import (
    DeviceExists,
    EventFilter,
    NewDeadLetter,
    PresenceUpdate,
    Store,
    StoreError,
)
from hub.store.schema import SCHEMA_VERSION
from shekara import wire
from shekara.wire import encode


def test_new_database_is_wal_with_schema_version(db_path: Path, store: Store) -> None:
    conn = sqlite3.connect(db_path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        conn.close()
    assert {"devices", "events", "gaps", "dead_letters"} <= tables
    store.close()
    Store(db_path).close()  # reopening migrates nothing and keeps the data


def test_newer_schema_is_refused(db_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match="newer than this hub"):
        Store(db_path)


def test_not_a_database(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.db"
    bogus.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match=str(bogus)):
        Store(bogus)


def test_devices_add_get_list_and_duplicates(store: Store) -> None:
    key = Ed25519PrivateKey.generate()
    added = store.add_device("cam1", key.public_key(), "cp1", "lane1")
    assert store.get_device("cam1") == added
    assert store.get_device("nope") is None
    with pytest.raises(DeviceExists, match="cam1"):
        store.add_device("cam1", key.public_key(), "cp1", "lane2")
    store.add_device("cam0", key.public_key(), "cp1", "lane2")
    assert [d.device_id for d in store.list_devices()] == ["cam0", "cam1"]


def test_presence_update(store: Store, device: SimDevice) -> None:
    store.set_presence(device.device_id, PresenceUpdate(True, 3, "2025-01-01T00:00:00Z", None))
    dev = store.get_device(device.device_id)
    assert dev is not None and dev.online is True and dev.session == 3 and dev.last_seen is None


def test_query_filters_cursor_and_order(
    store: Store, ingestor: Ingestor, device: SimDevice
) -> None:
    from hub_support import register

    other = register(store, Ed25519PrivateKey.generate(), wire.Address("cp2", "lane1", "cam9"))
    for i in range(3):
        ingestor.process(device.topic(), encode(device.next()), received_at=1000.0 + i)
    ingestor.process(other.topic(), encode(other.next("device.status")), received_at=2000.0)

    everything = store.query_events(EventFilter())
    assert [e.seq for e in everything] == [1, 2, 3, 1]
    assert [e.device_id for e in store.query_events(EventFilter(checkpoint="cp2"))] == ["cam9"]
    assert len(store.query_events(EventFilter(lane="lane1"))) == 4
    assert [e.type for e in store.query_events(EventFilter(type="device.status"))] == [
        "device.status"
    ]
    after = store.query_events(EventFilter(after_event=everything[1].event_id))
    assert [e.event_id for e in after] == [e.event_id for e in everything[2:]]
    assert store.query_events(EventFilter(after_event="01ARZ3NDEKTSV4RRFFQ69G5FAV")) == []
    since = store.query_events(EventFilter(since_received="1970-01-01T00:16:41.000Z"))
    assert [e.seq for e in since] == [2, 3, 1]
    newest = store.query_events(EventFilter(limit=2, descending=True))
    assert [e.device_id for e in newest] == ["cam9", "cam1"]
    assert store.count_events() == 4 and store.count_events("cam9") == 1


def test_dead_letters_listing(store: Store) -> None:
    for i, reason in enumerate(["oversized", "bad_topic", "oversized"]):
        store.add_dead_letter(
            NewDeadLetter("2025-01-01T00:00:00.000Z", "t", reason, f"d{i}", None, b"x", 1, "00")
        )
    assert [d.detail for d in store.list_dead_letters("oversized")] == ["d2", "d0"]
    assert len(store.list_dead_letters(limit=1)) == 1
    assert store.count_dead_letters() == 3 and store.count_dead_letters("bad_topic") == 1


def test_readers_in_other_threads_see_commits(
    store: Store, ingestor: Ingestor, device: SimDevice
) -> None:
    import threading

    ingestor.process(device.topic(), encode(device.next()))
    seen: list[int] = []
    t = threading.Thread(target=lambda: seen.append(store.count_events()))
    t.start()
    t.join()
    assert seen == [1]
