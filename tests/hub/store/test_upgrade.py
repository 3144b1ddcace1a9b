"""A database made by the previous release opens with this one: the schema migrates
forward, every row survives, and what is signed or chained still verifies.

``data/release-2401693.sql`` was written by ``make_release_db.py 2401693``: release
2401693's own code built the database (schema version 9), dumped as SQL text.  When a
release changes the schema, make the next fixture with that script and add it here.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from hub_support import as_operator
from store_audit import audit_events, audit_journal, audit_log

from hub.app import create_app
from hub.cert import note
from hub.config import HubSettings
from hub.ingest import Ingestor
from hub.outcome import Kind
from hub.store import Store
from hub.store.schema import SCHEMA_VERSION
from shekara import wire

DATA = Path(__file__).resolve().parent / "data"
RELEASES = {"2401693": 9}  # revision -> its schema version
ORIGIN = "shekara.temirbaba/log"


def seed_key(label: str) -> Ed25519PrivateKey:
    """The fixture's keys, from the same seeds as make_release_db.py."""
    seed = hashlib.sha256(f"shekara release fixture: {label}".encode()).digest()
    return Ed25519PrivateKey.from_private_bytes(seed)


def log_verifier() -> note.Verifier:
    return note.parse_verifier_key(note.verifier_key(ORIGIN, seed_key("log").public_key()))


def row_counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        found = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        tables = [r[0] for r in found if not r[0].startswith("sqlite_")]
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


@pytest.fixture(params=sorted(RELEASES))
def old_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Path, int]]:
    """A fresh SQLite file loaded from a release's dump, and that release's schema version."""
    db = tmp_path / "hub.db"
    with sqlite3.connect(db) as conn:
        conn.executescript((DATA / f"release-{request.param}.sql").read_text())
    yield db, RELEASES[request.param]


def test_the_fixture_is_what_the_release_wrote(old_db: tuple[Path, int]) -> None:
    db, version = old_db
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == version
    assert version < SCHEMA_VERSION, "a fixture of the current schema tests no upgrade"
    counts = row_counts(db)
    assert (counts["devices"], counts["events"], counts["dead_letters"]) == (2, 12, 1)
    assert (counts["bookings"], counts["certificates"], counts["users"]) == (2, 1, 1)
    assert counts["queue_journal"] == 3  # the policy and two bookings


def test_the_current_store_migrates_it_and_every_row_survives(
    old_db: tuple[Path, int],
) -> None:
    db, _ = old_db
    before = row_counts(db)
    with Store(db) as store:
        pass
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    after = row_counts(db)
    assert {t: after[t] for t in before} == before  # new tables may appear; no row goes
    with Store(db) as store:
        assert audit_events(store) == {"tmb-entry-1": 6, "tmb-exit-1": 6}
        assert audit_journal(store).entries == 3
        assert audit_log(store, log_verifier()).certificates == 1
        # The chains go on where the old release left them.
        address = wire.Address("temirbaba", "entry-1", "tmb-entry-1")
        device = store.get_device("tmb-entry-1")
        assert device is not None and device.last_hash is not None
        event = wire.make_event(
            seed_key("device entry-1"), address, seq=7, prev_hash=device.last_hash,
            event_type="device.status",
            body={"fps": 10.0, "outbox_depth": 0, "camera": "ok", "software_version": "0.2.0",
                  "uptime_s": 1},
            captured_at=wire.utc_timestamp(), event_id="01KQ0100000000000000000007",
        )  # fmt: skip
        outcome = Ingestor(store).process(address.topic(wire.Channel.EVENTS), wire.encode(event))
        assert outcome.kind is Kind.STORED, outcome


def test_the_hub_serves_the_upgraded_database(old_db: tuple[Path, int], tmp_path: Path) -> None:
    db, _ = old_db
    key_file = tmp_path / "log.key"
    key_file.write_bytes(seed_key("log").private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))  # fmt: skip
    key_file.chmod(0o600)
    settings = HubSettings(db_path=db, checkpoint="temirbaba", log_key_file=key_file,
                           mqtt_port=1)  # fmt: skip
    with TestClient(create_app(settings, start_worker=False)) as client:
        as_operator(client)
        devices = {d["device_id"]: d for d in client.get("/api/devices").json()}
        assert {d: (v["stored"], v["last_seq"]) for d, v in devices.items()} == {
            "tmb-entry-1": (6, 6),
            "tmb-exit-1": (6, 6),
        }
        letters = client.get("/api/dead-letters").json()
        assert [d["reason"] for d in letters] == ["malformed_json"]
        journal = client.get("/api/queue/journal/verify").json()
        assert journal["ok"] and journal["entries"] == 3
        checkpoint = client.get("/api/log/checkpoint").text
        text, verified = note.open_note(checkpoint, {(ORIGIN, log_verifier().id): log_verifier()})
        assert verified == {ORIGIN} and note.parse_checkpoint(text).size == 1
        carrier = {"Authorization": "Bearer fixture-carrier-token"}
        notification = client.get("/api/notifications/CF-2026-0001", headers=carrier)
        assert notification.status_code == 200, notification.text
        assert notification.json()["body"]["conveyance"]["tractor"]["plate"] == "123ABC12"
