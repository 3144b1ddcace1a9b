"""Operator alerts and their webhook deliveries (schema V10).

An alert is one row per spell of a condition: raised once when the condition starts,
``cleared_at`` set once when it ends (a partial UNIQUE index allows one open row per
rule and subject, so two evaluators racing cannot raise it twice).  An operator's
acknowledgement is kept on the row and in ``audit_log``.

When a webhook is configured, raising and clearing each queue a delivery in the same
transaction: the exact JSON body to post, its state (pending, delivered, failed), the
attempts so far and when to try next.  The sender (:mod:`hub.dashboard.webhook`)
works from this table only, so a hub restart loses no undelivered alert.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from hub.store.models import StoreError
from hub.store.rows import insert_audit
from hub.store.sqlite import Store

ALERT_COLUMNS = "id, rule, subject, message, detail, raised_at, cleared_at, acked_at, acked_by"
DELIVERY_COLUMNS = "id, alert, kind, body, state, attempts, next_at, last_error, done_at"
DeliveryState = Literal["pending", "delivered", "failed"]
# Builds the JSON a webhook receives from the alert as it now stands and "raised"/"cleared".
BodyOf = Callable[["Alert", str], str]


class AlertNotFound(StoreError):
    """No alert has this id."""


class AlreadyAcked(StoreError):
    """The alert was acknowledged before (by ``Alert.acked_by``)."""


@dataclass(frozen=True, slots=True)
class Alert:
    """One spell of an alert condition."""

    id: int
    rule: str
    subject: str
    message: str  # English, for the API and the webhook; the pages word it themselves
    detail: dict[str, Any]  # the figures that raised it (minutes, depth, count...)
    raised_at: str
    cleared_at: str | None
    acked_at: str | None
    acked_by: str | None

    @property
    def open(self) -> bool:
        """Whether the condition still holds."""
        return self.cleared_at is None


@dataclass(frozen=True, slots=True)
class NewAlert:
    """A condition that holds now (what the rules found)."""

    rule: str
    subject: str
    message: str
    detail: dict[str, Any]

    @property
    def key(self) -> tuple[str, str]:
        """(rule, subject): what makes two findings the same alert."""
        return (self.rule, self.subject)


@dataclass(frozen=True, slots=True)
class Delivery:
    """One webhook post of one alert's raising or clearing."""

    id: int
    alert: int
    kind: str  # "raised" | "cleared"
    body: str  # the JSON posted, fixed when queued: every retry posts the same bytes
    state: DeliveryState
    attempts: int
    next_at: str
    last_error: str | None
    done_at: str | None


def _alert_of(row: Sequence[Any]) -> Alert:
    return Alert(row[0], row[1], row[2], row[3], json.loads(row[4]), *row[5:9])


class AlertTables:
    """``alerts`` and ``alert_deliveries`` of a :class:`~hub.store.Store`."""

    def __init__(self, store: Store) -> None:
        self._store = store

    # --- alerts ---------------------------------------------------------------------

    def sync(
        self, found: Sequence[NewAlert], at: str, body_of: BodyOf | None = None
    ) -> tuple[list[Alert], list[Alert]]:
        """Raise what is found and not open, clear what is open and not found; one
        transaction.  With ``body_of`` (a webhook is set) each change queues a delivery.
        Returns (raised, cleared)."""
        raised: list[Alert] = []
        cleared: list[Alert] = []
        wanted = {f.key: f for f in found}
        with self._store._transaction() as conn:
            open_rows = conn.execute(
                f"SELECT {ALERT_COLUMNS} FROM alerts WHERE cleared_at IS NULL"  # noqa: S608
            ).fetchall()
            current = {(r[1], r[2]): _alert_of(r) for r in open_rows}
            for key, alert in current.items():
                if key not in wanted:
                    conn.execute("UPDATE alerts SET cleared_at = ? WHERE id = ?", (at, alert.id))
                    cleared.append(self._get(conn, alert.id))
            for key, new in wanted.items():
                if key in current:
                    continue
                cursor = conn.execute(
                    "INSERT INTO alerts (rule, subject, message, detail, raised_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (new.rule, new.subject, new.message,
                     json.dumps(new.detail, sort_keys=True), at),
                )  # fmt: skip
                raised.append(self._get(conn, int(cursor.lastrowid or 0)))
            if body_of is not None:
                for kind, alerts in (("raised", raised), ("cleared", cleared)):
                    for alert in alerts:
                        self._queue(conn, alert.id, kind, body_of(alert, kind), at)
        return raised, cleared

    def ack(self, alert_id: int, actor: str, at: str) -> Alert:
        """Record who acknowledged the alert, and audit it; AlertNotFound, AlreadyAcked."""
        with self._store._transaction() as conn:
            row = conn.execute(
                f"SELECT {ALERT_COLUMNS} FROM alerts WHERE id = ?",  # noqa: S608
                (alert_id,),
            ).fetchone()
            if row is None:
                raise AlertNotFound(f"no alert has the id {alert_id}")
            alert = _alert_of(row)
            if alert.acked_by is not None:
                raise AlreadyAcked(f"alert {alert_id} was acknowledged by {alert.acked_by} "
                                   f"at {alert.acked_at}")  # fmt: skip
            conn.execute(
                "UPDATE alerts SET acked_at = ?, acked_by = ? WHERE id = ?", (at, actor, alert_id)
            )
            insert_audit(conn, at, actor, "alert.ack", f"alert:{alert_id}",
                         {"rule": alert.rule, "subject": alert.subject})  # fmt: skip
            return self._get(conn, alert_id)

    def get(self, alert_id: int) -> Alert | None:
        """One alert, or None."""
        row = (
            self._store._reader()
            .execute(f"SELECT {ALERT_COLUMNS} FROM alerts WHERE id = ?", (alert_id,))  # noqa: S608
            .fetchone()
        )
        return None if row is None else _alert_of(row)

    def open_alerts(self) -> list[Alert]:
        """Alerts whose condition still holds, oldest first."""
        rows = self._store._reader().execute(
            f"SELECT {ALERT_COLUMNS} FROM alerts WHERE cleared_at IS NULL ORDER BY id"  # noqa: S608
        )
        return [_alert_of(r) for r in rows]

    def recent(self, limit: int = 100) -> list[Alert]:
        """The newest alerts, open or cleared, newest first."""
        rows = self._store._reader().execute(
            f"SELECT {ALERT_COLUMNS} FROM alerts ORDER BY id DESC LIMIT ?",  # noqa: S608
            (limit,),
        )
        return [_alert_of(r) for r in rows]

    @staticmethod
    def _get(conn: sqlite3.Connection, alert_id: int) -> Alert:
        row = conn.execute(
            f"SELECT {ALERT_COLUMNS} FROM alerts WHERE id = ?",  # noqa: S608
            (alert_id,),
        ).fetchone()
        return _alert_of(row)

    # --- webhook deliveries ---------------------------------------------------------

    @staticmethod
    def _queue(conn: sqlite3.Connection, alert_id: int, kind: str, body: str, at: str) -> None:
        conn.execute(
            "INSERT INTO alert_deliveries (alert, kind, body, next_at) VALUES (?, ?, ?, ?)",
            (alert_id, kind, body, at),
        )

    def due(self, now: str, limit: int = 20) -> list[Delivery]:
        """Pending deliveries whose time has come, oldest first."""
        rows = self._store._reader().execute(
            f"SELECT {DELIVERY_COLUMNS} FROM alert_deliveries "  # noqa: S608
            "WHERE state = 'pending' AND next_at <= ? ORDER BY id LIMIT ?",
            (now, limit),
        )
        return [Delivery(*r) for r in rows]

    def delivered(self, delivery_id: int, at: str) -> None:
        """The receiver took it (a 2xx answer)."""
        with self._store._transaction() as conn:
            conn.execute(
                "UPDATE alert_deliveries SET state = 'delivered', attempts = attempts + 1, "
                "done_at = ?, last_error = NULL WHERE id = ?",
                (at, delivery_id),
            )

    def retry(self, delivery_id: int, error: str, next_at: str | None, at: str) -> None:
        """An attempt failed: try again at ``next_at``, or give up (state failed) if None."""
        with self._store._transaction() as conn:
            if next_at is None:
                conn.execute(
                    "UPDATE alert_deliveries SET state = 'failed', attempts = attempts + 1, "
                    "last_error = ?, done_at = ? WHERE id = ?",
                    (error[:500], at, delivery_id),
                )
            else:
                conn.execute(
                    "UPDATE alert_deliveries SET attempts = attempts + 1, last_error = ?, "
                    "next_at = ? WHERE id = ?",
                    (error[:500], next_at, delivery_id),
                )

    def deliveries(self, alert_id: int | None = None, limit: int = 100) -> list[Delivery]:
        """Deliveries (of one alert, or all), newest first."""
        where, args = ("WHERE alert = ?", [alert_id]) if alert_id is not None else ("", [])
        rows = self._store._reader().execute(
            f"SELECT {DELIVERY_COLUMNS} FROM alert_deliveries {where} "  # noqa: S608
            "ORDER BY id DESC LIMIT ?",
            (*args, limit),
        )
        return [Delivery(*r) for r in rows]

    def delivery_counts(self) -> dict[str, int]:
        """How many deliveries are in each state."""
        rows = self._store._reader().execute(
            "SELECT state, COUNT(*) FROM alert_deliveries GROUP BY state"
        )
        return {str(r[0]): int(r[1]) for r in rows}
