"""The certificate log's tables: tree hashes, certificates, checkpoints, witness state.

The tree is kept as its leaf hashes (level 0) and the hash of every complete aligned
subtree (level k covers leaves ``idx·2^k`` to ``(idx+1)·2^k − 1``); any root or proof is
a fold of about log2(n) of them (:func:`hub.cert.merkle.perfect_ranges`).  The hashes,
the certificates and the checkpoints refuse UPDATE and DELETE (triggers in the schema).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from hub.store.sqlite import Store

HashKey = tuple[int, int]  # (level, index at that level)
_CERT_COLUMNS = "idx, cert_id, issued_at, arrival, submitter, notification, body, digest"


@dataclass(frozen=True, slots=True)
class NewCertificate:
    """A certificate to append; its leaf is ``digest`` (hex SHA-256 of the JCS body)."""

    cert_id: str
    issued_at: str
    body: dict[str, Any]
    digest: str
    arrival: int | None = None
    submitter: str | None = None
    notification: str | None = None


@dataclass(frozen=True, slots=True)
class StoredCertificate:
    """A certificate as kept by the hub, with its leaf index."""

    idx: int
    cert_id: str
    issued_at: str
    arrival: int | None
    submitter: str | None
    notification: str | None
    body: dict[str, Any]
    digest: str


@dataclass(frozen=True, slots=True)
class StoredCheckpoint:
    """A signed checkpoint and the cosignature lines gathered for it."""

    size: int
    root: bytes
    signed_at: str
    note: str  # the log's signed note
    cosignatures: dict[str, str]  # witness name -> signature line

    def full_note(self) -> str:
        """The note with every cosignature appended (c2sp.org/tlog-cosignature)."""
        return self.note + "".join(self.cosignatures[w] for w in sorted(self.cosignatures))


def _certificate_of(row: sqlite3.Row | tuple[Any, ...]) -> StoredCertificate:
    return StoredCertificate(row[0], row[1], row[2], row[3], row[4], row[5],
                             json.loads(row[6]), row[7])  # fmt: skip


class LogTables:
    """The certificate log's rows in a :class:`~hub.store.Store`."""

    def __init__(self, store: Store) -> None:
        self._store = store

    # --- the tree ---------------------------------------------------------------------

    def size(self) -> int:
        """How many leaves the stored tree has."""
        row = self._store._reader().execute(
            "SELECT COALESCE(MAX(idx) + 1, 0) FROM log_hashes WHERE level = 0"
        )
        return int(row.fetchone()[0])

    def hashes(self, keys: Iterable[HashKey]) -> dict[HashKey, bytes]:
        """The stored hashes of ``keys`` (missing keys are left out)."""
        conn = self._store._reader()
        found: dict[HashKey, bytes] = {}
        # One primary-key lookup each: a row-value IN (VALUES ...) list is not planned
        # as lookups and scans the table (22 ms a proof at 66,000 entries).
        for key in set(keys):
            row = conn.execute(
                "SELECT hash FROM log_hashes WHERE level = ? AND idx = ?", key
            ).fetchone()
            if row is not None:
                found[key] = bytes(row[0])
        return found

    def append(
        self, certificates: Sequence[NewCertificate], first: int,
        hashes: Sequence[tuple[int, int, bytes]],
    ) -> None:  # fmt: skip
        """Store ``certificates`` at leaves ``first``… and the tree ``hashes`` they add,
        in one transaction; raises if ``first`` is not the stored size."""
        with self._store._transaction() as conn:
            size = conn.execute("SELECT COALESCE(MAX(idx) + 1, 0) FROM log_hashes WHERE level = 0")
            if (found := int(size.fetchone()[0])) != first:
                raise RuntimeError(f"the log holds {found} leaves, not {first}")
            conn.executemany(
                f"INSERT INTO certificates ({_CERT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
                [(first + n, c.cert_id, c.issued_at, c.arrival, c.submitter, c.notification,
                  json.dumps(c.body, ensure_ascii=False), c.digest)
                 for n, c in enumerate(certificates)],
            )  # fmt: skip
            conn.executemany("INSERT INTO log_hashes (level, idx, hash) VALUES (?, ?, ?)", hashes)

    # --- certificates -----------------------------------------------------------------

    def certificate(self, cert_id: str) -> StoredCertificate | None:
        """One certificate by id."""
        row = self._store._reader().execute(
            f"SELECT {_CERT_COLUMNS} FROM certificates WHERE cert_id = ?",  # noqa: S608
            (cert_id,),
        )
        found = row.fetchone()
        return _certificate_of(found) if found else None

    def certificate_by_digest(self, digest: str) -> StoredCertificate | None:
        """The certificate whose body hashes to ``digest`` (hex)."""
        row = self._store._reader().execute(
            f"SELECT {_CERT_COLUMNS} FROM certificates WHERE digest = ?",  # noqa: S608
            (digest,),
        )
        found = row.fetchone()
        return _certificate_of(found) if found else None

    def certificates_of(self, arrival: int) -> list[StoredCertificate]:
        """The certificates issued on one arrival's release."""
        rows = self._store._reader().execute(
            f"SELECT {_CERT_COLUMNS} FROM certificates WHERE arrival = ? ORDER BY idx",  # noqa: S608
            (arrival,),
        )
        return [_certificate_of(r) for r in rows]

    def recent(self, limit: int = 50) -> list[StoredCertificate]:
        """The latest certificates, newest first."""
        rows = self._store._reader().execute(
            f"SELECT {_CERT_COLUMNS} FROM certificates ORDER BY idx DESC LIMIT ?",  # noqa: S608
            (limit,),
        )
        return [_certificate_of(r) for r in rows]

    # --- checkpoints and cosignatures ---------------------------------------------------

    def add_checkpoint(self, size: int, root: bytes, signed_at: str, note: str) -> None:
        """Keep a signed checkpoint (one per size)."""
        with self._store._transaction() as conn:
            conn.execute(
                "INSERT INTO log_checkpoints (size, root, signed_at, note) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (size) DO NOTHING",
                (size, root, signed_at, note),
            )

    def checkpoint(self, size: int | None = None) -> StoredCheckpoint | None:
        """The checkpoint of ``size``, or the latest."""
        conn = self._store._reader()
        if size is None:
            row = conn.execute(
                "SELECT size, root, signed_at, note FROM log_checkpoints ORDER BY size DESC LIMIT 1"
            ).fetchone()
        else:
            row = conn.execute(
                "SELECT size, root, signed_at, note FROM log_checkpoints WHERE size = ?", (size,)
            ).fetchone()
        return self._with_cosignatures(conn, row)

    def cosigned_checkpoint(self, above: int, cosignatures: int) -> StoredCheckpoint | None:
        """The newest checkpoint larger than ``above`` with at least ``cosignatures``."""
        conn = self._store._reader()
        row = conn.execute(
            "SELECT c.size, c.root, c.signed_at, c.note FROM log_checkpoints c "
            "WHERE c.size > ? AND (SELECT COUNT(*) FROM log_cosignatures s "
            "WHERE s.size = c.size) >= ? ORDER BY c.size DESC LIMIT 1",
            (above, cosignatures),
        ).fetchone()
        return self._with_cosignatures(conn, row)

    @staticmethod
    def _with_cosignatures(
        conn: sqlite3.Connection, row: tuple[Any, ...] | None
    ) -> StoredCheckpoint | None:
        if row is None:
            return None
        lines = conn.execute("SELECT witness, line FROM log_cosignatures WHERE size = ?", (row[0],))
        return StoredCheckpoint(row[0], bytes(row[1]), row[2], row[3], dict(lines.fetchall()))

    def add_cosignature(self, size: int, witness: str, line: str, at: str) -> None:
        """Keep a witness's cosignature line on checkpoint ``size`` (the first one stays)."""
        with self._store._transaction() as conn:
            conn.execute(
                "INSERT INTO log_cosignatures (size, witness, line, added_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (size, witness) DO NOTHING",
                (size, witness, line, at),
            )

    # --- as a witness of other logs ------------------------------------------------------

    def witnessed(self, origin: str) -> tuple[int, bytes] | None:
        """(size, root) of the latest checkpoint of ``origin`` this hub cosigned."""
        row = self._store._reader().execute(
            "SELECT size, root FROM witness_state WHERE origin = ?", (origin,)
        )
        found = row.fetchone()
        return (found[0], bytes(found[1])) if found else None

    def advance_witnessed(
        self, origin: str, old: int, size: int, root: bytes, note: str, at: str
    ) -> bool:
        """Move ``origin`` from size ``old`` to ``size`` atomically; False when another
        request moved it first (the check-then-write race of c2sp.org/tlog-witness)."""
        with self._store._transaction() as conn:
            if old == 0:
                conn.execute(
                    "INSERT INTO witness_state (origin, size, root, note, updated_at) "
                    "VALUES (?, 0, ?, '', ?) ON CONFLICT (origin) DO NOTHING",
                    (origin, b"", at),
                )
            cursor = conn.execute(
                "UPDATE witness_state SET size = ?, root = ?, note = ?, updated_at = ? "
                "WHERE origin = ? AND size = ?",
                (size, root, note, at, origin, old),
            )
            return cursor.rowcount == 1

    def refuse_witnessing(
        self, origin: str, status: int, reason: str, request: str, at: str
    ) -> None:
        """Keep a refused add-checkpoint: a conflicting one may prove a split view."""
        with self._store._transaction() as conn:
            conn.execute(
                "INSERT INTO witness_refusals (at, origin, status, reason, request) "
                "VALUES (?, ?, ?, ?, ?)",
                (at, origin, status, reason, request),
            )

    def witness_refusals(self, limit: int = 100) -> list[dict[str, Any]]:
        """The latest refused add-checkpoint requests, newest first."""
        rows = self._store._reader().execute(
            "SELECT id, at, origin, status, reason, request FROM witness_refusals "
            "ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        keys = ("id", "at", "origin", "status", "reason", "request")
        return [dict(zip(keys, r, strict=True)) for r in rows]
