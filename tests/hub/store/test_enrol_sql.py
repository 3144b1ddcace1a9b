"""The enrolments table on real SQLite: idempotent requests, the pending cap, decisions."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.store import Device, DeviceExists, Store, StoreError
from hub.store.device_sql import DeviceTables
from hub.store.enrol_sql import Enrolment, EnrolmentTables, TooManyPending, UnknownEnrolment

KEY = "A" * 43 + "="
REQUEST = Enrolment("AAAAA-BBBBB", "cam9", "cp1", "lane1", KEY, "csr", "2026-11-21T08:00:00.000Z",
                    "10.0.0.9")  # fmt: skip
DEVICE = Device("cam9", KEY, "00112233aabbccdd", "cp1", "lane1", "2026-11-21T09:00:00.000Z")


def test_the_same_request_twice_is_kept_once(store: Store) -> None:
    tables = EnrolmentTables(store)
    tables.submit(REQUEST, 5)
    again = tables.submit(replace(REQUEST, requested_from="10.0.0.10"), 5)
    assert again.requested_from == "10.0.0.9"
    assert [e.code for e in tables.list()] == ["AAAAA-BBBBB"]


def test_the_pending_cap_refuses_a_flood(store: Store) -> None:
    tables = EnrolmentTables(store)
    for i in range(3):
        tables.submit(replace(REQUEST, code=f"AAAAA-0000{i}", device_id=f"cam{i}"), 3)
    with pytest.raises(TooManyPending, match="3 enrolment requests are waiting"):
        tables.submit(replace(REQUEST, code="AAAAA-00009"), 3)


def test_approval_registers_the_device_its_key_and_an_audit_line(store: Store) -> None:
    tables = EnrolmentTables(store)
    tables.submit(REQUEST, 5)
    done = tables.approve("AAAAA-BBBBB", DEVICE, "api:ops", "PEM", "ff" * 32)
    assert (done.state, done.decided_by, done.fingerprint) == ("approved", "api:ops", "ff" * 32)
    assert store.get_device("cam9") is not None
    assert [k.key_id for k in DeviceTables(store).keys()["cam9"]] == ["00112233aabbccdd"]
    (entry,) = DeviceTables(store).audit_log()
    assert (entry.action, entry.subject, entry.detail["fingerprint"]) == (
        "device.enrol", "cam9", "ff" * 32,
    )  # fmt: skip
    with pytest.raises(StoreError, match="already approved"):
        tables.approve("AAAAA-BBBBB", DEVICE, "api:ops", None, None)


def test_a_taken_device_id_is_refused_and_nothing_is_half_written(store: Store) -> None:
    tables = EnrolmentTables(store)
    tables.submit(REQUEST, 5)
    store.add_device("cam9", Ed25519PrivateKey.generate().public_key(), "cp1", "lane2")
    with pytest.raises(DeviceExists):
        tables.approve("AAAAA-BBBBB", DEVICE, "api:ops", None, None)
    assert tables.get("AAAAA-BBBBB").state == "pending"  # type: ignore[union-attr]
    assert DeviceTables(store).audit_log() == []
    with pytest.raises(DeviceExists):
        tables.submit(replace(REQUEST, code="CCCCC-DDDDD"), 5)


def test_rejection_is_audited_and_unknown_codes_are_named(store: Store) -> None:
    tables = EnrolmentTables(store)
    tables.submit(REQUEST, 5)
    done = tables.reject("AAAAA-BBBBB", "cli:ops", "not our camera", "2026-11-21T09:00:00.000Z")
    assert (done.state, done.reason) == ("rejected", "not our camera")
    assert DeviceTables(store).audit_log()[0].action == "device.enrol_reject"
    with pytest.raises(UnknownEnrolment, match="ZZZZZ-ZZZZZ"):
        tables.reject("ZZZZZ-ZZZZZ", "cli:ops", "x", "-")


def test_an_insider_cannot_rewrite_a_key(store: Store, db_path: Path) -> None:
    EnrolmentTables(store).submit(REQUEST, 5)
    EnrolmentTables(store).approve("AAAAA-BBBBB", DEVICE, "api:ops", None, None)
    conn = sqlite3.connect(db_path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE device_keys SET public_key_b64 = 'x'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM device_keys")
