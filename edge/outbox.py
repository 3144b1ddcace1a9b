"""The durable outbox: every event is signed and committed here before any publish.

One SQLite file (WAL, ``synchronous=FULL`` so a power cut loses no committed event):

* ``outbox``  events not yet acknowledged by the broker, by ``seq``;
* ``sent``    acknowledged events, kept (up to ``keep_sent``) so the hub can ask for a
              gap to be resent when something downstream of the broker lost them;
* ``state``   the chain head (last seq, last event hash), the connection session and
              the key id of the last rotation (``rotated_to``).

Assigning ``seq``/``prev_hash`` and inserting the row happen in one explicit transaction
(``BEGIN IMMEDIATE`` .. ``COMMIT``), so a SIGKILL, a power cut or a full disk at any point
leaves the chain continuous: either the rows and the new chain head are both on disk or
neither is.  A write the disk cannot take (``SQLITE_FULL``, an I/O error) raises
:class:`OutboxUnavailable` and changes nothing; the caller keeps the events and retries.
Acknowledgements that cannot be written are kept in memory and written with the next ones.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shekara import wire
from shekara.errors import ShekaraError
from shekara.ids import new_ulid
from shekara.keys import key_id

log = logging.getLogger(__name__)

_UPSERT_STATE = (
    "INSERT INTO state (key, value) VALUES (?, ?) "
    "ON CONFLICT(key) DO UPDATE SET value = excluded.value"
)
_INSERT_EVENT = "INSERT INTO outbox (seq, event_id, payload, at) VALUES (?, ?, ?, ?)"


class OutboxUnavailable(ShekaraError):
    """The outbox cannot take a write now (disk full, I/O error); nothing was changed."""


@dataclass(frozen=True, slots=True)
class Pending:
    """An event waiting to be published."""

    seq: int
    event_id: str
    payload: bytes


class Outbox:
    """Signs, chains and stores events; hands them out in order until acknowledged."""

    def __init__(
        self, path: Path, key: Ed25519PrivateKey, address: wire.Address, keep_sent: int = 100_000
    ) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.key, self.address, self.keep_sent = key, address, keep_sent
        # The capture thread appends while the publisher thread drains and acks.
        self._lock = threading.Lock()
        self._unsaved_acks: set[int] = set()  # acknowledged, but the disk refused the move
        try:
            conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self.db = sqlite_utils.Database(conn)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self._create()
            self._last_seq = int(self._state("last_seq", "0"))
            self._last_hash = self._state("last_hash", wire.GENESIS_HASH)
        except sqlite3.OperationalError as exc:
            # Even opening needs a little room (the WAL index file): a full disk.
            raise OutboxUnavailable(f"outbox {path} cannot be opened: {exc}") from exc

    def _create(self) -> None:
        self.db.table("state").create({"key": str, "value": str}, pk="key", if_not_exists=True)
        for name in ("outbox", "sent"):
            self.db.table(name).create(
                {"seq": int, "event_id": str, "payload": bytes, "at": str},
                pk="seq",
                if_not_exists=True,
            )

    def _state(self, key: str, default: str) -> str:
        rows = list(self.db.query("SELECT value FROM state WHERE key = ?", [key]))
        return str(rows[0]["value"]) if rows else default

    def _set_state(self, values: dict[str, Any]) -> None:
        self.db.conn.executemany(_UPSERT_STATE, [(k, str(v)) for k, v in values.items()])

    @contextmanager
    def _transaction(self, what: str) -> Iterator[sqlite3.Connection]:
        """One explicit write transaction, rolled back whole on any failure.

        The connection is in autocommit mode, where ``with conn:`` opens no transaction
        and sqlite-utils commits each of its own statements: a full disk could then keep
        an event row but lose the chain head written after it, and every later append
        would collide with that row.  Hence BEGIN/COMMIT here and plain SQL inside.
        """
        conn = self.db.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            yield conn
            conn.execute("COMMIT")
        except BaseException as exc:
            self._rollback()
            if isinstance(exc, sqlite3.OperationalError):
                raise OutboxUnavailable(f"outbox {self.path} cannot {what}: {exc}") from exc
            raise

    def _rollback(self) -> None:
        # A failed COMMIT leaves the transaction open; SQLite may already have rolled
        # back on SQLITE_FULL, in which case there is nothing to do.
        if self.db.conn.in_transaction:
            try:
                self.db.conn.execute("ROLLBACK")
            except sqlite3.Error:
                log.exception("rollback of the outbox %s failed", self.path)

    @property
    def last_seq(self) -> int:
        """Highest seq signed so far."""
        return self._last_seq

    def append(self, event_type: str, body: dict[str, Any], captured_at: str) -> dict[str, Any]:
        """Sign the next event of the chain and commit it; returns the signed event."""
        return self.append_many([(event_type, body, captured_at)])[0]

    def append_many(self, items: Iterable[tuple[str, dict[str, Any], str]]) -> list[dict[str, Any]]:
        """Sign and commit several events in one transaction (one fsync).

        Raises :class:`OutboxUnavailable` when the disk refuses the write; the chain head
        is then unchanged and the same events can be appended again later."""
        with self._lock:
            seq, prev = self._last_seq, self._last_hash
            events, rows = [], []
            for event_type, body, captured_at in items:
                seq += 1
                event = wire.make_event(
                    self.key,
                    self.address,
                    seq=seq,
                    prev_hash=prev,
                    event_type=event_type,
                    body=body,
                    captured_at=captured_at,
                    event_id=new_ulid(),
                )
                prev = wire.event_hash(event)
                events.append(event)
                rows.append((seq, event["event_id"], wire.encode(event), wire.utc_timestamp()))
            if not rows:
                return []
            with self._transaction(f"append {len(rows)} events") as conn:
                conn.executemany(_INSERT_EVENT, rows)
                self._set_state({"last_seq": seq, "last_hash": prev})
            self._last_seq, self._last_hash = seq, prev
            return events

    @property
    def rotated_to(self) -> str | None:
        """Key id of the last rotation committed here (it may not be on disk yet)."""
        value = self._state("rotated_to", "")
        return value or None

    def rotate(self, new_key: Ed25519PrivateKey) -> dict[str, Any]:
        """Commit a ``device.key_rotated`` event signed by the current key, then sign with
        ``new_key``; both in one transaction with the chain head, so a crash cannot leave
        events signed by a key the hub has not been told of."""
        with self._lock:
            seq = self._last_seq + 1
            old_id = key_id(self.key.public_key())
            body = wire.rotation_body(new_key, self.address.device, seq, old_id)
            event = wire.make_event(
                self.key, self.address, seq=seq, prev_hash=self._last_hash,
                event_type=wire.EventType.DEVICE_KEY_ROTATED, body=body,
                captured_at=wire.utc_timestamp(), event_id=new_ulid(),
            )  # fmt: skip
            digest = wire.event_hash(event)
            with self._transaction("rotate the key") as conn:
                conn.execute(_INSERT_EVENT, (seq, event["event_id"], wire.encode(event),
                                             wire.utc_timestamp()))  # fmt: skip
                self._set_state({"last_seq": seq, "last_hash": digest,
                                 "rotated_to": body["key_id"]})  # fmt: skip
            self._last_seq, self._last_hash, self.key = seq, digest, new_key
        log.info("key rotated from %s to %s at seq %d", old_id, body["key_id"], seq)
        return event

    def pending(self, after_seq: int, limit: int) -> list[Pending]:
        """Unacknowledged events with seq > ``after_seq``, oldest first."""
        with self._lock:
            rows = self.db.execute(
                "SELECT seq, event_id, payload FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?",
                [after_seq, limit],
            ).fetchall()
        return [Pending(int(r[0]), str(r[1]), bytes(r[2])) for r in rows]

    def first_pending_seq(self) -> int | None:
        """Lowest unacknowledged seq, if any."""
        with self._lock:
            row = self.db.execute("SELECT MIN(seq) FROM outbox").fetchone()
        return None if row[0] is None else int(row[0])

    def acked_through(self) -> int:
        """Highest seq such that it and every seq below it were acknowledged."""
        first = self.first_pending_seq()
        return self._last_seq if first is None else first - 1

    def depth(self) -> int:
        """Events signed but not yet acknowledged."""
        with self._lock:
            return int(self.db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])

    def mark_acked(self, seqs: list[int]) -> None:
        """Move acknowledged events from ``outbox`` to ``sent`` (one transaction).

        Never raises for a full disk: the seqs are kept in memory and moved with the next
        acknowledgement (until then they are counted in :meth:`depth`, and a restart sends
        them again, which the hub stores once)."""
        with self._lock:
            todo = sorted(self._unsaved_acks.union(seqs))
            if not todo:
                return
            marks = ",".join("?" * len(todo))
            try:
                with self._transaction(f"mark {len(todo)} events acknowledged") as conn:
                    conn.execute(
                        f"INSERT OR IGNORE INTO sent SELECT seq, event_id, payload, ? "  # noqa: S608
                        f"FROM outbox WHERE seq IN ({marks})",
                        [wire.utc_timestamp(), *todo],
                    )
                    conn.execute(f"DELETE FROM outbox WHERE seq IN ({marks})", todo)  # noqa: S608
                    conn.execute(
                        "DELETE FROM sent WHERE seq <= (SELECT MAX(seq) FROM sent) - ?",
                        [self.keep_sent],
                    )
            except OutboxUnavailable as exc:
                if not self._unsaved_acks:
                    log.warning("%s; keeping %d acknowledgements in memory", exc, len(todo))
                self._unsaved_acks.update(todo)
                return
            if self._unsaved_acks:
                log.info("outbox writable again: %d acknowledgements written", len(todo))
            self._unsaved_acks.clear()

    def lookup(self, from_seq: int, to_seq: int, limit: int) -> list[Pending]:
        """Events in a seq range from either table (for hub resend requests)."""
        with self._lock:
            rows = self.db.execute(
                "SELECT seq, event_id, payload FROM sent WHERE seq BETWEEN ? AND ? "
                "UNION SELECT seq, event_id, payload FROM outbox WHERE seq BETWEEN ? AND ? "
                "ORDER BY seq LIMIT ?",
                [from_seq, to_seq, from_seq, to_seq, limit],
            ).fetchall()
        return [Pending(int(r[0]), str(r[1]), bytes(r[2])) for r in rows]

    def next_session(self) -> int:
        """Bump and persist the connection session number used in presence messages."""
        with self._lock, self._transaction("start a session"):
            session = int(self._state("session", "0")) + 1
            self._set_state({"session": session})
        return session

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self.db.conn.close()
