"""The durable outbox: every event is signed and committed here before any publish.

One SQLite file (WAL, ``synchronous=FULL`` so a power cut loses no committed event):

* ``outbox``  events not yet acknowledged by the broker, by ``seq``;
* ``sent``    acknowledged events, kept (up to ``keep_sent``) so the hub can ask for a
              gap to be resent when something downstream of the broker lost them;
* ``state``   the chain head (last seq, last event hash), the connection session and
              the key id of the last rotation (``rotated_to``).

Assigning ``seq``/``prev_hash`` and inserting the row happen in one transaction, so a
SIGKILL at any point leaves the chain continuous.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shekara import wire
from shekara.ids import new_ulid
from shekara.keys import key_id

log = logging.getLogger(__name__)


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
        conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db = sqlite_utils.Database(conn)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.key, self.address, self.keep_sent = key, address, keep_sent
        # The capture thread appends while the publisher thread drains and acks.
        self._lock = threading.Lock()
        self._create()
        self._last_seq = int(self._state("last_seq", "0"))
        self._last_hash = self._state("last_hash", wire.GENESIS_HASH)

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
        self.db.table("state").upsert_all(
            [{"key": k, "value": str(v)} for k, v in values.items()], pk="key"
        )

    @property
    def last_seq(self) -> int:
        """Highest seq signed so far."""
        return self._last_seq

    def append(self, event_type: str, body: dict[str, Any], captured_at: str) -> dict[str, Any]:
        """Sign the next event of the chain and commit it; returns the signed event."""
        return self.append_many([(event_type, body, captured_at)])[0]

    def append_many(self, items: Iterable[tuple[str, dict[str, Any], str]]) -> list[dict[str, Any]]:
        """Sign and commit several events in one transaction (one fsync)."""
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
                rows.append(
                    {
                        "seq": seq,
                        "event_id": event["event_id"],
                        "payload": wire.encode(event),
                        "at": wire.utc_timestamp(),
                    }
                )
            with self.db.conn:
                self.db.table("outbox").insert_all(rows)
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
            with self.db.conn:
                self.db.table("outbox").insert({"seq": seq, "event_id": event["event_id"],
                                                "payload": wire.encode(event),
                                                "at": wire.utc_timestamp()})  # fmt: skip
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
        """Move acknowledged events from ``outbox`` to ``sent`` (one transaction)."""
        if not seqs:
            return
        marks = ",".join("?" * len(seqs))
        now = wire.utc_timestamp()
        with self._lock, self.db.conn:
            self.db.execute(
                f"INSERT OR IGNORE INTO sent SELECT seq, event_id, payload, ? FROM outbox "  # noqa: S608
                f"WHERE seq IN ({marks})",
                [now, *seqs],
            )
            self.db.execute(f"DELETE FROM outbox WHERE seq IN ({marks})", seqs)  # noqa: S608
            self.db.execute(
                "DELETE FROM sent WHERE seq <= (SELECT MAX(seq) FROM sent) - ?", [self.keep_sent]
            )

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
        with self._lock, self.db.conn:
            session = int(self._state("session", "0")) + 1
            self._set_state({"session": session})
        return session

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self.db.conn.close()
