"""The queue journal's table: appending in the caller's transaction, reading it back.

The entry format and its hash are :mod:`hub.queue.journal`'s; this module only stores
them.  Appends run inside the transaction of the change they record, so the journal
and the bookings never disagree.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from hub.queue.journal import GENESIS, Entry, body_of, entry_hash
from hub.queue.records import JournalNote
from hub.store.sqlite import Store


def _entry_of(row: tuple[Any, ...]) -> Entry:
    body = json.loads(row[0])
    return Entry(
        body["seq"], body["at"], body["kind"], body["booking"], body["data"], body["cause"],
        row[1], row[2],
    )  # fmt: skip


class JournalTables:
    """The ``queue_journal`` table of a :class:`~hub.store.Store`."""

    def __init__(self, store: Store) -> None:
        self._store = store

    @staticmethod
    def _append(conn: sqlite3.Connection, at: str, booking: str | None, note: JournalNote) -> Entry:
        row = conn.execute("SELECT seq, hash FROM queue_journal ORDER BY seq DESC LIMIT 1")
        last = row.fetchone()
        seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
        body = body_of(seq, at, note.kind, booking, note.data, note.cause)
        digest = entry_hash(prev, body)
        conn.execute(
            "INSERT INTO queue_journal (seq, at, kind, booking, body, prev, hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (seq, at, note.kind, booking, json.dumps(body, ensure_ascii=False), prev, digest),
        )
        return Entry(seq, at, note.kind, booking, note.data, note.cause, prev, digest)

    def append(self, at: str, note: JournalNote, booking: str | None = None) -> Entry:
        """Append an entry that changes no booking (policy, capacity)."""
        with self._store._transaction() as conn:
            return self._append(conn, at, booking, note)

    def journal(self, after: int = 0, limit: int = 1000) -> list[Entry]:
        """Entries with seq > ``after``, oldest first."""
        rows = self._store._reader().execute(
            "SELECT body, prev, hash FROM queue_journal WHERE seq > ? ORDER BY seq LIMIT ?",
            (after, limit),
        )
        return [_entry_of(r) for r in rows]

    def journal_of(self, booking: str) -> list[Entry]:
        """Every entry of one booking, oldest first."""
        rows = self._store._reader().execute(
            "SELECT body, prev, hash FROM queue_journal WHERE booking = ? ORDER BY seq",
            (booking,),
        )
        return [_entry_of(r) for r in rows]

    def last_entry(self, kind: str) -> Entry | None:
        """The newest entry of ``kind``."""
        row = (
            self._store._reader()
            .execute(
                "SELECT body, prev, hash FROM queue_journal WHERE kind = ? "
                "ORDER BY seq DESC LIMIT 1",
                (kind,),
            )
            .fetchone()
        )
        return _entry_of(row) if row else None
