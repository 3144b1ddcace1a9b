"""Device lifecycle records: revocations, signing keys and the audit log (V8, V9).

A revocation is final: the rows are append-only (SQLite triggers), and re-admitting
the hardware means enrolling it again under a new id.  Every lifecycle action lands
in ``audit_log`` in the same transaction as the change it records.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from hub.store.models import DeviceKey, StoreError
from hub.store.rows import insert_audit
from hub.store.sqlite import Store


@dataclass(frozen=True, slots=True)
class Revocation:
    """Why and when a device was revoked, and by whom."""

    device_id: str
    revoked_at: str
    reason: str
    actor: str


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One lifecycle action."""

    id: int
    at: str
    actor: str
    action: str
    subject: str
    detail: dict[str, Any]


class DeviceTables:
    """``device_revocations`` and ``audit_log`` of a :class:`~hub.store.Store`."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def revoke(self, device_id: str, reason: str, actor: str, at: str) -> Revocation:
        """Record the revocation and its audit entry; StoreError if unknown or already."""
        with self._store._transaction() as conn:
            if (
                conn.execute("SELECT 1 FROM devices WHERE device_id = ?", (device_id,)).fetchone()
                is None
            ):
                raise StoreError(f"device {device_id!r} is not registered")
            try:
                conn.execute(
                    "INSERT INTO device_revocations (device_id, revoked_at, reason, actor) "
                    "VALUES (?, ?, ?, ?)",
                    (device_id, at, reason, actor),
                )
            except sqlite3.IntegrityError:
                raise StoreError(f"device {device_id!r} is already revoked") from None
            insert_audit(conn, at, actor, "device.revoke", device_id, {"reason": reason})
        return Revocation(device_id, at, reason, actor)

    def revocations(self) -> dict[str, Revocation]:
        """Every revoked device by id."""
        rows = self._store._reader().execute(
            "SELECT device_id, revoked_at, reason, actor FROM device_revocations"
        )
        return {row[0]: Revocation(*row) for row in rows}

    def audit(self, actor: str, action: str, subject: str, detail: dict[str, Any], at: str) -> None:
        """Record a lifecycle action that changed nothing else here (e.g. a device added)."""
        with self._store._transaction() as conn:
            insert_audit(conn, at, actor, action, subject, detail)

    def keys(self) -> dict[str, list[DeviceKey]]:
        """Every device's signing keys, oldest first."""
        rows = self._store._reader().execute(
            "SELECT device_id, key_id, public_key_b64, from_seq, added_at FROM device_keys "
            "ORDER BY device_id, from_seq"
        )
        found: dict[str, list[DeviceKey]] = {}
        for row in rows:
            found.setdefault(row[0], []).append(DeviceKey(*row))
        return found

    def audit_log(self, after: int = 0, limit: int = 100) -> list[AuditEntry]:
        """Audit entries after id ``after``, oldest first."""
        rows = self._store._reader().execute(
            "SELECT id, at, actor, action, subject, detail FROM audit_log WHERE id > ? "
            "ORDER BY id LIMIT ?",
            (after, limit),
        )
        return [AuditEntry(r[0], r[1], r[2], r[3], r[4], json.loads(r[5])) for r in rows]
