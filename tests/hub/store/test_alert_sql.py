"""Alerts and their webhook deliveries on a real SQLite file (schema V10)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from hub.store import Store
from hub.store.alert_sql import AlertNotFound, AlertTables, AlreadyAcked, NewAlert
from hub.store.dashboard_sql import DashboardQueries
from hub.store.device_sql import DeviceTables
from hub.store.schema import MIGRATIONS, SCHEMA_VERSION

T0, T1, T2 = "2026-11-21T06:00:00.000Z", "2026-11-21T06:00:30.000Z", "2026-11-21T06:01:00.000Z"
OFFLINE = NewAlert("device_offline", "cam1", "cam1 offline", {"device": "cam1", "minutes": 12})
WAIT = NewAlert("long_wait", "kz-tm", "long wait", {"direction": "kz-tm", "minutes": 300})


def body_of(alert: object, kind: str) -> str:
    return json.dumps({"kind": kind, "id": alert.id})  # type: ignore[attr-defined]


def test_an_alert_is_raised_once_and_cleared_once(store: Store) -> None:
    tables = AlertTables(store)
    raised, cleared = tables.sync([OFFLINE], T0)
    assert [a.subject for a in raised] == ["cam1"] and cleared == []
    assert raised[0].detail == {"device": "cam1", "minutes": 12} and raised[0].open
    # Seen again at every evaluation: still the one alert.
    assert tables.sync([OFFLINE, WAIT], T1) == ([tables.get(2)], [])
    assert [a.rule for a in tables.open_alerts()] == ["device_offline", "long_wait"]
    raised, cleared = tables.sync([WAIT], T2)
    assert raised == [] and [(a.id, a.cleared_at) for a in cleared] == [(1, T2)]
    # The condition comes back: a new spell, a new alert.
    raised, _ = tables.sync([WAIT, OFFLINE], T2)
    assert [a.id for a in raised] == [3]
    assert [a.id for a in tables.recent()] == [3, 2, 1]


def test_two_open_alerts_of_one_rule_and_subject_are_impossible(store: Store) -> None:
    AlertTables(store).sync([OFFLINE], T0)
    with pytest.raises(sqlite3.IntegrityError), store._transaction() as conn:
        conn.execute(
            "INSERT INTO alerts (rule, subject, message, detail, raised_at) "
            "VALUES ('device_offline', 'cam1', 'again', '{}', ?)",
            (T1,),
        )


def test_an_ack_records_who_and_is_audited(store: Store) -> None:
    tables = AlertTables(store)
    (alert,), _ = tables.sync([OFFLINE], T0)
    acked = tables.ack(alert.id, "ops", T1)
    assert (acked.acked_by, acked.acked_at, acked.open) == ("ops", T1, True)
    (entry,) = DeviceTables(store).audit_log()
    assert (entry.actor, entry.action, entry.subject, entry.at) == (
        "ops",
        "alert.ack",
        "alert:1",
        T1,
    )
    assert entry.detail == {"rule": "device_offline", "subject": "cam1"}
    with pytest.raises(AlreadyAcked, match="by ops"):
        tables.ack(alert.id, "someone else", T2)
    with pytest.raises(AlertNotFound):
        tables.ack(99, "ops", T2)
    assert len(DeviceTables(store).audit_log()) == 1


def test_raising_and_clearing_queue_deliveries_only_with_a_webhook(store: Store) -> None:
    tables = AlertTables(store)
    tables.sync([WAIT], T0)  # no webhook configured: nothing queued
    assert tables.deliveries() == []
    tables.sync([WAIT, OFFLINE], T1, body_of)
    tables.sync([WAIT], T2, body_of)
    kinds = [(d.alert, d.kind, d.state, d.next_at) for d in reversed(tables.deliveries())]
    assert kinds == [(2, "raised", "pending", T1), (2, "cleared", "pending", T2)]
    assert json.loads(tables.deliveries()[0].body) == {"kind": "cleared", "id": 2}


def test_deliveries_move_from_pending_to_delivered_or_failed(store: Store) -> None:
    tables = AlertTables(store)
    tables.sync([OFFLINE, WAIT], T0, body_of)
    first, second = tables.due(T0)
    assert tables.due("2026-11-21T05:59:59.999Z") == []
    tables.retry(first.id, "HTTP 500", T2, T0)
    assert [d.id for d in tables.due(T1)] == [second.id]  # the first waits for its retry
    assert [d.id for d in tables.due(T2)] == [first.id, second.id]
    tables.delivered(first.id, T2)
    tables.retry(second.id, "refused", None, T2)  # out of attempts
    done = {d.id: d for d in tables.deliveries()}
    assert (done[first.id].state, done[first.id].attempts, done[first.id].last_error) == (
        "delivered", 2, None)  # fmt: skip
    assert (done[second.id].state, done[second.id].last_error) == ("failed", "refused")
    assert tables.due(T2) == [] and tables.delivery_counts() == {"delivered": 1, "failed": 1}


def test_pending_deliveries_survive_a_restart(db_path: Path) -> None:
    with Store(db_path) as store:
        AlertTables(store).sync([OFFLINE], T0, body_of)
    with Store(db_path) as store:
        (pending,) = AlertTables(store).due(T1)
        assert (pending.kind, pending.state) == ("raised", "pending")


def test_a_version_9_database_gains_the_alert_tables(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    for statements in MIGRATIONS[:9]:
        for sql in statements:
            conn.execute(sql)
    conn.execute("PRAGMA user_version = 9")
    conn.execute("INSERT INTO dead_letters (received_at, topic, reason, detail, payload, "
                 "payload_size, payload_sha256) VALUES (?, 't', 'bad_topic', '', x'', 0, '')",
                 (T0,))  # fmt: skip
    conn.close()
    with Store(path) as store:
        assert SCHEMA_VERSION >= 10
        assert DashboardQueries(store).dead_letters_since(T0) == 1
        assert AlertTables(store).sync([OFFLINE], T1)[0][0].id == 1
