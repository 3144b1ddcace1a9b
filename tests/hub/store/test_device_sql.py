"""Revocations and the audit log on real SQLite: final, append-only."""

from __future__ import annotations

import sqlite3

import pytest
from hub_support import SimDevice

from hub.store import Store, StoreError
from hub.store.device_sql import DeviceTables


def test_revoke_records_it_and_its_audit_entry(store: Store, device: SimDevice) -> None:
    tables = DeviceTables(store)
    revocation = tables.revoke("cam1", "stolen", "ops", "2026-11-21T10:00:00.000Z")
    assert tables.revocations() == {"cam1": revocation}
    [entry] = tables.audit_log()
    assert (entry.actor, entry.action, entry.subject, entry.detail) == (
        "ops", "device.revoke", "cam1", {"reason": "stolen"},
    )  # fmt: skip


def test_revoking_twice_or_an_unknown_device_is_refused(store: Store, device: SimDevice) -> None:
    tables = DeviceTables(store)
    tables.revoke("cam1", "stolen", "ops", "2026-11-21T10:00:00.000Z")
    with pytest.raises(StoreError, match="already revoked"):
        tables.revoke("cam1", "again", "ops", "2026-11-21T10:01:00.000Z")
    with pytest.raises(StoreError, match="not registered"):
        tables.revoke("nobody", "x", "ops", "2026-11-21T10:01:00.000Z")
    assert len(tables.audit_log()) == 1  # the refused ones left no trace to explain


def test_an_insider_cannot_unrevoke_or_erase_the_audit(store: Store, device: SimDevice) -> None:
    DeviceTables(store).revoke("cam1", "stolen", "ops", "2026-11-21T10:00:00.000Z")
    conn = sqlite3.connect(store.path)
    for sql in ("DELETE FROM device_revocations", "UPDATE device_revocations SET reason = 'x'",
                "DELETE FROM audit_log", "UPDATE audit_log SET actor = 'x'"):  # fmt: skip
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(sql)
    conn.close()
