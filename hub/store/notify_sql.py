"""The notifications' SQL: versions kept whole, their lookup keys, carriers' tokens.

A new version, its keys and the notification's head move in one ``BEGIN IMMEDIATE``
transaction, and the amendment order is checked inside it: two amendments racing
cannot both become number 3, and a refused one leaves nothing behind.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from typing import Any

from hub.notify.records import (
    AmendmentOutOfOrder,
    KeyKind,
    NewVersion,
    NotificationClosed,
    NotificationState,
    StoredVersion,
)
from hub.store.sqlite import Store

_COLUMNS = (
    "n.id, n.submitter, n.notification, n.amendment, n.received_at, n.submitted_at, "
    "n.direction, n.eta_from, n.eta_to, n.booking, n.body, n.digest, h.state, h.latest = n.id"
)
_FROM = (
    "FROM notifications n JOIN notification_heads h "
    "ON h.submitter = n.submitter AND h.notification = n.notification"
)


def _version_of(row: sqlite3.Row | tuple[Any, ...]) -> StoredVersion:
    return StoredVersion(
        id=row[0], submitter=row[1], notification=row[2], amendment=row[3],
        received_at=row[4], submitted_at=row[5], direction=row[6], eta_from=row[7],
        eta_to=row[8], booking=row[9], body=json.loads(row[10]), digest=row[11],
        state=NotificationState(row[12]), latest=bool(row[13]),
    )  # fmt: skip


class NotifyStore:
    """Domain-level access to the notification tables of a :class:`~hub.store.Store`."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def add_version(self, new: NewVersion) -> StoredVersion:
        """Store a first version or the next amendment, with its keys, atomically."""
        with self._store._transaction() as conn:
            head = conn.execute(
                "SELECT n.amendment, h.state FROM notification_heads h "
                "JOIN notifications n ON n.id = h.latest "
                "WHERE h.submitter = ? AND h.notification = ?",
                (new.submitter, new.notification),
            ).fetchone()
            expected = 0 if head is None else head[0] + 1
            if head is not None and head[1] != NotificationState.OPEN:
                raise NotificationClosed(
                    f"notification {new.notification} is {head[1]}; it takes no amendments",
                    state=head[1],
                )
            if new.amendment != expected:
                raise AmendmentOutOfOrder(
                    f"amendment {new.amendment} of {new.notification}: expected {expected}",
                    field="amendment", expected=expected,
                )  # fmt: skip
            cursor = conn.execute(
                "INSERT INTO notifications (submitter, notification, amendment, received_at, "
                "submitted_at, direction, eta_from, eta_to, booking, body, digest) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (new.submitter, new.notification, new.amendment, new.received_at,
                 new.submitted_at, new.direction, new.eta_from, new.eta_to, new.booking,
                 json.dumps(new.body, ensure_ascii=False, sort_keys=True), new.digest),
            )  # fmt: skip
            version = int(cursor.lastrowid or 0)
            conn.executemany(
                "INSERT INTO notification_keys (version, kind, key) VALUES (?, ?, ?)",
                [(version, kind.value, key) for kind, key in dict.fromkeys(new.keys)],
            )
            conn.execute(
                "INSERT INTO notification_heads (submitter, notification, latest, updated_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (submitter, notification) "
                "DO UPDATE SET latest = excluded.latest, updated_at = excluded.updated_at",
                (new.submitter, new.notification, version, new.received_at),
            )
            row = conn.execute(f"SELECT {_COLUMNS} {_FROM} WHERE n.id = ?", (version,))
            return _version_of(row.fetchone())

    def history(self, submitter: str, notification: str) -> list[StoredVersion]:
        """Every version of one notification, first first."""
        rows = self._store._reader().execute(
            f"SELECT {_COLUMNS} {_FROM} WHERE n.submitter = ? AND n.notification = ? "
            "ORDER BY n.amendment",
            (submitter, notification),
        )
        return [_version_of(r) for r in rows]

    def version(self, version_id: int) -> StoredVersion | None:
        """One stored version by its row id."""
        row = self._store._reader().execute(
            f"SELECT {_COLUMNS} {_FROM} WHERE n.id = ?",
            (version_id,),
        )
        found = row.fetchone()
        return _version_of(found) if found else None

    def in_force_at(self, submitter: str, notification: str, at: str) -> StoredVersion | None:
        """The version received last at or before ``at`` (what an arrival was matched to)."""
        row = self._store._reader().execute(
            f"SELECT {_COLUMNS} {_FROM} WHERE n.submitter = ? AND n.notification = ? "
            "AND n.received_at <= ? ORDER BY n.amendment DESC LIMIT 1",
            (submitter, notification, at),
        )
        found = row.fetchone()
        return _version_of(found) if found else None

    def open_with_keys(
        self, keys: Iterable[tuple[KeyKind, str]], direction: str | None = None
    ) -> list[StoredVersion]:
        """Latest versions of open notifications having any of ``keys``."""
        pairs = list(dict.fromkeys(keys))
        if not pairs:
            return []
        where = " OR ".join("(k.kind = ? AND k.key = ?)" for _ in pairs)
        args: list[str] = [v for kind, key in pairs for v in (kind.value, key)]
        sql = (
            f"SELECT {_COLUMNS} {_FROM} WHERE h.latest = n.id AND h.state = 'open' "  # noqa: S608
            f"AND n.id IN (SELECT k.version FROM notification_keys k WHERE {where})"
        )
        if direction is not None:
            sql += " AND n.direction = ?"
            args.append(direction)
        return [_version_of(r) for r in self._store._reader().execute(sql, args)]

    def search(self, keys: Iterable[tuple[KeyKind, str]], limit: int = 50) -> list[StoredVersion]:
        """Latest versions, open or closed, having any of ``keys``; newest first."""
        pairs = list(dict.fromkeys(keys))
        if not pairs:
            return []
        where = " OR ".join("(k.kind = ? AND k.key = ?)" for _ in pairs)
        args: list[object] = [v for kind, key in pairs for v in (kind.value, key)]
        rows = self._store._reader().execute(
            f"SELECT {_COLUMNS} {_FROM} WHERE h.latest = n.id AND n.id IN "  # noqa: S608
            f"(SELECT k.version FROM notification_keys k WHERE {where}) "
            "ORDER BY n.received_at DESC LIMIT ?",
            [*args, limit],
        )
        return [_version_of(r) for r in rows]

    def set_state(
        self, submitter: str, notification: str, state: NotificationState, at: str
    ) -> None:
        """Close (or reopen) a notification."""
        with self._store._transaction() as conn:
            conn.execute(
                "UPDATE notification_heads SET state = ?, updated_at = ? "
                "WHERE submitter = ? AND notification = ?",
                (state.value, at, submitter, notification),
            )

    def count_open(self) -> int:
        """Open notifications."""
        row = self._store._reader().execute(
            "SELECT COUNT(*) FROM notification_heads WHERE state = 'open'"
        )
        return int(row.fetchone()[0])

    # --- carriers' API tokens -------------------------------------------------------

    def add_token(self, token_hash: str, carrier: str, at: str) -> None:
        """Register a carrier's token (its SHA-256 only)."""
        with self._store._transaction() as conn:
            conn.execute(
                "INSERT INTO carrier_tokens (token_hash, carrier, created_at) VALUES (?, ?, ?)",
                (token_hash, carrier, at),
            )

    def carrier_of(self, token_hash: str) -> str | None:
        """The carrier a live token speaks for."""
        row = self._store._reader().execute(
            "SELECT carrier FROM carrier_tokens WHERE token_hash = ? AND revoked_at IS NULL",
            (token_hash,),
        )
        found = row.fetchone()
        return str(found[0]) if found else None

    def revoke_tokens(self, carrier: str, at: str) -> int:
        """Revoke every live token of ``carrier``; returns how many."""
        with self._store._transaction() as conn:
            cursor = conn.execute(
                "UPDATE carrier_tokens SET revoked_at = ? WHERE carrier = ? AND revoked_at IS NULL",
                (at, carrier),
            )
            return cursor.rowcount
