"""The SQLite store: devices, events, gaps, dead letters (the queue's tables: ``*_sql.py``).

Queries are assembled from constant column lists and fixed conditions only; every
value goes through a ``?`` parameter (hence the S608 waivers).

One writer connection (the ingest thread, the CLI) behind a lock, and one reader
connection per thread for the API: in WAL mode readers never wait for the writer.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from hub.store.models import (
    ChainLink,
    DeadLetter,
    Device,
    DeviceExists,
    EventFilter,
    Gap,
    NewDeadLetter,
    PresenceUpdate,
    StoredEvent,
    StoreError,
    WriteBatch,
)
from hub.store.rows import (
    DEAD_COLUMNS,
    DEVICE_COLUMNS,
    EVENT_COLUMNS,
    INSERT_DEAD,
    INSERT_EVENT,
    UPDATE_DEVICE,
    UPDATE_PRESENCE,
    dead_letter_of,
    device_of,
    event_of,
    insert_audit,
    insert_device,
)
from hub.store.schema import migrate
from shekara.keys import key_id, public_key_b64
from shekara.wire import utc_timestamp


class Store:
    """Domain-level access to the hub database."""

    def __init__(self, path: Path, synchronous: Literal["NORMAL", "FULL"] = "NORMAL") -> None:
        self.path = path
        self._synchronous = synchronous
        self._lock = threading.Lock()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._writer = self._connect()
        try:
            migrate(self._writer)
        except sqlite3.DatabaseError as exc:
            self._writer.close()
            raise StoreError(f"cannot use database {path}: {exc}") from None

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute(f"PRAGMA synchronous = {self._synchronous}")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA busy_timeout = 10000")
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open database {self.path}: {exc}") from None
        return conn

    def close(self) -> None:
        """Close every connection (the WAL is checkpointed by the last one)."""
        with self._lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()
            self._writer.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            conn = self._writer
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _reader(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
            with self._lock:
                self._readers.append(conn)
        return conn

    def ping(self) -> None:
        """Raise unless the database answers."""
        self._reader().execute("SELECT 1").fetchone()

    # --- devices ------------------------------------------------------------------

    def add_device(
        self, device_id: str, public_key: Ed25519PublicKey, checkpoint: str, lane: str
    ) -> Device:
        """Register a device; raise :class:`DeviceExists` when the id is taken."""
        device = Device(
            device_id=device_id,
            public_key_b64=public_key_b64(public_key),
            key_id=key_id(public_key),
            checkpoint=checkpoint,
            lane=lane,
            added_at=utc_timestamp(),
        )
        try:
            with self._transaction() as conn:
                insert_device(conn, device)
        except sqlite3.IntegrityError:
            raise DeviceExists(f"device {device_id!r} is already registered") from None
        return device

    def get_device(self, device_id: str) -> Device | None:
        """One device with its gaps, or ``None``."""
        conn = self._reader()
        row = conn.execute(
            f"SELECT {DEVICE_COLUMNS} FROM devices WHERE device_id = ?",  # noqa: S608
            (device_id,),
        ).fetchone()
        if row is None:
            return None
        return device_of(row, self._gaps(conn, device_id))

    def list_devices(self) -> list[Device]:
        """Every device with its gaps, by id."""
        conn = self._reader()
        gaps: dict[str, list[Gap]] = {}
        for device_id, lo, hi, opened in conn.execute(
            "SELECT device_id, from_seq, to_seq, opened_at FROM gaps ORDER BY device_id, from_seq"
        ):
            gaps.setdefault(device_id, []).append(Gap(lo, hi, opened))
        rows = conn.execute(f"SELECT {DEVICE_COLUMNS} FROM devices ORDER BY device_id")  # noqa: S608
        return [device_of(row, gaps.get(row[0], [])) for row in rows]

    def count_devices(self) -> int:
        """How many devices are registered."""
        return int(self._reader().execute("SELECT COUNT(*) FROM devices").fetchone()[0])

    def device_gaps(self, device_id: str) -> list[Gap]:
        """Open gaps of a device, lowest first."""
        return self._gaps(self._reader(), device_id)

    @staticmethod
    def _gaps(conn: sqlite3.Connection, device_id: str) -> list[Gap]:
        rows = conn.execute(
            "SELECT from_seq, to_seq, opened_at FROM gaps WHERE device_id = ? ORDER BY from_seq",
            (device_id,),
        )
        return [Gap(lo, hi, opened) for lo, hi, opened in rows]

    def set_presence(self, device_id: str, update: PresenceUpdate) -> None:
        """Record a device's presence."""
        self.write(WriteBatch(presence={device_id: update}))

    # --- events and dead letters --------------------------------------------------

    def chain_link(self, device_id: str, seq: int) -> ChainLink | None:
        """Event id and hashes of a stored event, for the chain check."""
        with self._lock:
            row = self._writer.execute(
                "SELECT event_id, hash, prev_hash FROM events WHERE device_id = ? AND seq = ?",
                (device_id, seq),
            ).fetchone()
        return None if row is None else ChainLink(*row)

    def write(self, batch: WriteBatch) -> None:
        """Write a whole batch in one transaction (all of it or nothing)."""
        if not batch:
            return
        with self._transaction() as conn:
            if batch.events:
                conn.executemany(INSERT_EVENT, batch.events)
            if batch.dead_letters:
                conn.executemany(INSERT_DEAD, batch.dead_letters)
            if batch.devices:
                conn.executemany(
                    UPDATE_DEVICE,
                    [
                        (u.last_seq, u.last_hash, u.last_seen, u.stored_delta, u.last_status_json,
                         device_id)
                        for device_id, u in batch.devices.items()
                    ],
                )  # fmt: skip
            for device_id, gaps in batch.gaps.items():
                conn.execute("DELETE FROM gaps WHERE device_id = ?", (device_id,))
                conn.executemany(
                    "INSERT INTO gaps (device_id, from_seq, to_seq, opened_at) VALUES (?, ?, ?, ?)",
                    [(device_id, g.from_seq, g.to_seq, g.opened_at) for g in gaps],
                )
            if batch.evidence:
                conn.executemany(
                    "INSERT OR IGNORE INTO evidence (sha256, device_id, media_type, received_at, "
                    "data) VALUES (?, ?, ?, ?, ?)",
                    batch.evidence,
                )
            for key in batch.keys:
                conn.execute(
                    "INSERT INTO device_keys (device_id, key_id, public_key_b64, from_seq, "
                    "added_at) VALUES (?, ?, ?, ?, ?)",
                    (key.device_id, key.key_id, key.public_key_b64, key.from_seq, key.added_at),
                )
                conn.execute(
                    "UPDATE devices SET public_key_b64 = ?, key_id = ? WHERE device_id = ?",
                    (key.public_key_b64, key.key_id, key.device_id),
                )
                insert_audit(
                    conn,
                    key.added_at,
                    key.device_id,
                    "device.key_rotate",
                    key.device_id,
                    {"key_id": key.key_id, "from_seq": key.from_seq},
                )
            if batch.presence:
                conn.executemany(
                    UPDATE_PRESENCE,
                    [
                        (int(p.online), p.session, p.at, p.last_seen, device_id)
                        for device_id, p in batch.presence.items()
                    ],
                )

    def evidence_referenced(self, device_id: str, sha256: str, recent: int = 500) -> bool:
        """Whether one of the device's last ``recent`` passages names this evidence crop."""
        row = self._reader().execute(
            "SELECT 1 FROM (SELECT body FROM events WHERE device_id = ? AND type = "
            "'vehicle.passage' ORDER BY seq DESC LIMIT ?) "
            "WHERE json_extract(body, '$.evidence.sha256') = ? LIMIT 1",
            (device_id, recent, sha256),
        )
        return row.fetchone() is not None

    def evidence(self, sha256: str) -> tuple[str, bytes] | None:
        """(media type, bytes) of a kept evidence crop."""
        row = (
            self._reader()
            .execute("SELECT media_type, data FROM evidence WHERE sha256 = ?", (sha256,))
            .fetchone()
        )
        return (str(row[0]), bytes(row[1])) if row else None

    def add_dead_letter(self, dead: NewDeadLetter) -> None:
        """Keep one rejected message."""
        self.write(WriteBatch(dead_letters=[dead]))

    def query_events(self, flt: EventFilter) -> list[StoredEvent]:
        """Stored events matching ``flt``, in receive order (or reversed)."""
        conn = self._reader()
        where: list[str] = []
        args: list[Any] = []
        for column, value in (
            ("checkpoint", flt.checkpoint),
            ("lane", flt.lane),
            ("type", flt.type),
            ("device_id", flt.device_id),
        ):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        if flt.since_received is not None:
            where.append("received_at >= ?")
            args.append(flt.since_received)
        if flt.after_event is not None:
            # An unknown cursor matches nothing rather than everything.
            where.append("rx > COALESCE((SELECT rx FROM events WHERE event_id = ?), 1e18)")
            args.append(flt.after_event)
        sql = f"SELECT {EVENT_COLUMNS} FROM events"  # noqa: S608
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += f" ORDER BY rx {'DESC' if flt.descending else 'ASC'} LIMIT ?"
        args.append(flt.limit)
        return [event_of(row) for row in conn.execute(sql, args)]

    def event_exists(self, event_id: str) -> bool:
        """Whether an event with this id is stored."""
        row = self._reader().execute("SELECT 1 FROM events WHERE event_id = ?", (event_id,))
        return row.fetchone() is not None

    def event_payload(self, event_id: str) -> bytes | None:
        """The signed bytes of a stored event exactly as received."""
        row = (
            self._reader()
            .execute("SELECT payload FROM events WHERE event_id = ?", (event_id,))
            .fetchone()
        )
        return None if row is None else bytes(row[0])

    def count_events(self, device_id: str | None = None) -> int:
        """How many events are stored (per device, or in all); cheap at any size."""
        conn = self._reader()
        if device_id is None:
            row = conn.execute("SELECT COALESCE(SUM(stored_count), 0) FROM devices").fetchone()
        else:
            row = conn.execute(
                "SELECT stored_count FROM devices WHERE device_id = ?", (device_id,)
            ).fetchone()
        return int(row[0]) if row else 0

    def list_dead_letters(
        self, reason: str | None = None, limit: int = 100, device_id: str | None = None
    ) -> list[DeadLetter]:
        """Rejected messages, newest first."""
        where: list[str] = []
        args: list[Any] = []
        if reason is not None:
            where.append("reason = ?")
            args.append(reason)
        if device_id is not None:
            where.append("device_id = ?")
            args.append(device_id)
        sql = f"SELECT {DEAD_COLUMNS} FROM dead_letters"  # noqa: S608
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id DESC LIMIT ?"
        args.append(limit)
        return [dead_letter_of(row) for row in self._reader().execute(sql, args)]

    def count_dead_letters(self, reason: str | None = None) -> int:
        """How many rejected messages are kept (of one reason, or in all)."""
        sql = "SELECT COUNT(*) FROM dead_letters"
        args: Sequence[str] = ()
        if reason is not None:
            sql += " WHERE reason = ?"
            args = (reason,)
        return int(self._reader().execute(sql, args).fetchone()[0])
