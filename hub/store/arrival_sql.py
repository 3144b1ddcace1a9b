"""Arrivals and the decisions on them: what a lane saw, what it matched, what was decided.

One row per vehicle visit to a lane; the sighting (plate readings, scanned codes, the
events they came from) and the match result are JSON documents rewritten as new reads
come in, until an officer's decision closes the row.  Decisions are appended to a
hash chain (:mod:`hub.notify.decisions`) that the database itself keeps append-only.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from hub.notify.decisions import chain
from hub.queue.records import QueueError
from hub.store.sqlite import Store

_COLUMNS = "id, lane, started_at, updated_at, sighting, result, version, level, score, decided"


class AlreadyDecided(QueueError):
    """A final decision was already taken on this arrival."""

    code = "already_decided"


@dataclass(frozen=True, slots=True)
class Arrival:
    """One vehicle's visit to a lane, as stored."""

    id: int
    lane: str
    started_at: str
    updated_at: str
    sighting: dict[str, Any]
    result: dict[str, Any]
    version: int | None  # the matched notification version
    level: str
    score: float
    decided: bool


def _arrival_of(row: sqlite3.Row | tuple[Any, ...]) -> Arrival:
    return Arrival(row[0], row[1], row[2], row[3], json.loads(row[4]), json.loads(row[5]),
                   row[6], row[7], row[8], bool(row[9]))  # fmt: skip


class ArrivalTables:
    """The ``arrivals`` table of a :class:`~hub.store.Store`."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def open_arrival(self, lane: str, at: str, sighting: dict[str, Any]) -> Arrival:
        """Start a visit at ``lane``."""
        with self._store._transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO arrivals (lane, started_at, updated_at, sighting, result, level, "
                "score) VALUES (?, ?, ?, ?, '{}', 'none', 0)",
                (lane, at, at, json.dumps(sighting)),
            )
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM arrivals WHERE id = ?",  # noqa: S608
                (cursor.lastrowid,),
            )
            return _arrival_of(row.fetchone())

    def update_arrival(
        self,
        arrival_id: int,
        at: str,
        sighting: dict[str, Any],
        result: dict[str, Any],
        version: int | None,
        level: str,
        score: float,
    ) -> None:
        """Rewrite a visit's sighting and match (not once it is decided)."""
        with self._store._transaction() as conn:
            conn.execute(
                "UPDATE arrivals SET updated_at = ?, sighting = ?, result = ?, version = ?, "
                "level = ?, score = ? WHERE id = ? AND decided = 0",
                (at, json.dumps(sighting), json.dumps(result), version, level, score,
                 arrival_id),
            )  # fmt: skip

    def current_arrival(self, lane: str) -> Arrival | None:
        """The lane's latest visit."""
        row = self._store._reader().execute(
            f"SELECT {_COLUMNS} FROM arrivals WHERE lane = ? ORDER BY id DESC LIMIT 1",  # noqa: S608
            (lane,),
        )
        found = row.fetchone()
        return _arrival_of(found) if found else None

    def recent(self, limit: int = 200) -> list[Arrival]:
        """The latest visits at every lane, newest first."""
        rows = self._store._reader().execute(
            f"SELECT {_COLUMNS} FROM arrivals ORDER BY id DESC LIMIT ?",  # noqa: S608
            (limit,),
        )
        return [_arrival_of(r) for r in rows]

    def arrival(self, arrival_id: int) -> Arrival | None:
        """One visit by id."""
        row = self._store._reader().execute(
            f"SELECT {_COLUMNS} FROM arrivals WHERE id = ?",  # noqa: S608
            (arrival_id,),
        )
        found = row.fetchone()
        return _arrival_of(found) if found else None

    # --- the decision log -------------------------------------------------------------

    def record_decision(
        self,
        arrival_id: int,
        officer: str,
        action: str,
        body: dict[str, Any],
        final: bool,
        close: tuple[str, str, str] | None,
    ) -> tuple[int, str]:
        """Append a decision; with ``final`` close the arrival, with ``close`` (submitter,
        notification, state) the notification too; one transaction.  Returns (seq, hash)."""
        at = body["at"]
        with self._store._transaction() as conn:
            if final:
                cursor = conn.execute(
                    "UPDATE arrivals SET decided = 1, updated_at = ? WHERE id = ? AND decided = 0",
                    (at, arrival_id),
                )
                if cursor.rowcount != 1:
                    raise AlreadyDecided(f"arrival {arrival_id} is already decided")
            last = conn.execute("SELECT hash FROM decisions ORDER BY seq DESC LIMIT 1")
            row = last.fetchone()
            prev, digest = chain(row[0] if row else None, body)
            cursor = conn.execute(
                "INSERT INTO decisions (at, officer, arrival, action, body, prev, hash) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (at, officer, arrival_id, action, json.dumps(body, ensure_ascii=False), prev,
                 digest),
            )  # fmt: skip
            if close is not None:
                conn.execute(
                    "UPDATE notification_heads SET state = ?, updated_at = ? "
                    "WHERE submitter = ? AND notification = ?",
                    (close[2], at, close[0], close[1]),
                )
            return int(cursor.lastrowid or 0), digest

    def decisions(
        self, arrival_id: int | None = None, after: int = 0, limit: int = 1000
    ) -> list[tuple[int, str, str, dict[str, Any]]]:
        """(seq, prev, hash, body) of decisions, oldest first; of one arrival if given."""
        sql = "SELECT seq, prev, hash, body FROM decisions WHERE seq > ?"
        args: list[Any] = [after]
        if arrival_id is not None:
            sql += " AND arrival = ?"
            args.append(arrival_id)
        rows = self._store._reader().execute(sql + " ORDER BY seq LIMIT ?", [*args, limit])
        return [(r[0], r[1], r[2], json.loads(r[3])) for r in rows]
