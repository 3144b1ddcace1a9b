"""Device enrolments (schema V9): requests waiting for an operator, and their outcome.

An approval registers the device, its first key, the certificate's fingerprint and the
audit entry in one transaction, so an approved request always names a registered
device and an audit line.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from hub.store.models import Device, DeviceExists, StoreError
from hub.store.rows import insert_audit, insert_device
from hub.store.sqlite import Store

_COLUMNS = (
    "code, device_id, checkpoint, lane, public_key_b64, csr_pem, requested_at, requested_from, "
    "state, decided_at, decided_by, reason, certificate, fingerprint"
)


class UnknownEnrolment(StoreError):
    """No request has that code."""


class TooManyPending(StoreError):
    """The hub holds as many undecided requests as it takes; the operator must decide some."""


@dataclass(frozen=True, slots=True)
class Enrolment:
    """A device's enrolment request and what became of it."""

    code: str
    device_id: str
    checkpoint: str
    lane: str
    public_key_b64: str
    csr_pem: str
    requested_at: str
    requested_from: str
    state: str = "pending"  # pending | approved | rejected
    decided_at: str | None = None
    decided_by: str | None = None
    reason: str | None = None
    certificate: str | None = None  # PEM, when the hub holds the CA
    fingerprint: str | None = None  # SHA-256 of the DER certificate


class EnrolmentTables:
    """The ``enrolments`` table of a :class:`~hub.store.Store`."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def submit(self, request: Enrolment, max_pending: int) -> Enrolment:
        """Keep a new request, or return the one already kept under its code."""
        with self._store._transaction() as conn:
            if found := _get(conn, request.code):
                return found
            if conn.execute(
                "SELECT 1 FROM devices WHERE device_id = ?", (request.device_id,)
            ).fetchone():
                raise DeviceExists(f"device {request.device_id!r} is already registered")
            pending = conn.execute(
                "SELECT COUNT(*) FROM enrolments WHERE state = 'pending'"
            ).fetchone()[0]
            if pending >= max_pending:
                raise TooManyPending(
                    f"{pending} enrolment requests are waiting for an operator; try later"
                )
            conn.execute(
                f"INSERT INTO enrolments ({_COLUMNS}) VALUES ({', '.join('?' * 14)})",  # noqa: S608
                (request.code, request.device_id, request.checkpoint, request.lane,
                 request.public_key_b64, request.csr_pem, request.requested_at,
                 request.requested_from, "pending", None, None, None, None, None),
            )  # fmt: skip
        return request

    def get(self, code: str) -> Enrolment | None:
        """One request by its code."""
        return _get(self._store._reader(), code)

    def list(self, state: str | None = None, limit: int = 200) -> list[Enrolment]:
        """Requests, newest first; only those in ``state`` when given."""
        rows = self._store._reader().execute(
            f"SELECT {_COLUMNS} FROM enrolments WHERE ? IS NULL OR state = ? "  # noqa: S608
            "ORDER BY requested_at DESC LIMIT ?",
            (state, state, limit),
        )
        return [Enrolment(*row) for row in rows]

    def approve(
        self, code: str, device: Device, actor: str, certificate: str | None,
        fingerprint: str | None,
    ) -> Enrolment:  # fmt: skip
        """Register the device of a pending request and record who approved it."""
        try:
            with self._store._transaction() as conn:
                _pending(conn, code)
                insert_device(conn, device)
                conn.execute(
                    "UPDATE enrolments SET state = 'approved', decided_at = ?, decided_by = ?, "
                    "certificate = ?, fingerprint = ? WHERE code = ?",
                    (device.added_at, actor, certificate, fingerprint, code),
                )
                insert_audit(conn, device.added_at, actor, "device.enrol", device.device_id,
                             {"code": code, "checkpoint": device.checkpoint, "lane": device.lane,
                              "key_id": device.key_id, "fingerprint": fingerprint})  # fmt: skip
        except sqlite3.IntegrityError:
            raise DeviceExists(f"device {device.device_id!r} is already registered") from None
        approved = self.get(code)
        assert approved is not None  # written in the transaction above
        return approved

    def reject(self, code: str, actor: str, reason: str, at: str) -> Enrolment:
        """Refuse a pending request, with the reason the device is told."""
        with self._store._transaction() as conn:
            found = _pending(conn, code)
            conn.execute(
                "UPDATE enrolments SET state = 'rejected', decided_at = ?, decided_by = ?, "
                "reason = ? WHERE code = ?",
                (at, actor, reason, code),
            )
            insert_audit(conn, at, actor, "device.enrol_reject", found.device_id,
                         {"code": code, "reason": reason})  # fmt: skip
        rejected = self.get(code)
        assert rejected is not None
        return rejected


def _get(conn: sqlite3.Connection, code: str) -> Enrolment | None:
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM enrolments WHERE code = ?",  # noqa: S608
        (code,),
    ).fetchone()
    return Enrolment(*row) if row else None


def _pending(conn: sqlite3.Connection, code: str) -> Enrolment:
    found = _get(conn, code)
    if found is None:
        raise UnknownEnrolment(f"no enrolment request has the code {code!r}")
    if found.state != "pending":
        raise StoreError(f"enrolment {code} was already {found.state}")
    return found
