"""What the operators' dashboard reads beyond the other tables' own queries (read-only).

A device's recent ``device.status`` reports (the partial index ``events_status`` of
schema V10 keeps this cheap however many other events are stored), the dead letters
received since a time (``dead_letters_received_at``), and when each truck of a
direction was called forward (``bookings_called``).
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.store.sqlite import Store


@dataclass(frozen=True, slots=True)
class StatusReport:
    """One stored ``device.status`` event of a device: what its history needs of it."""

    seq: int
    received_at: str
    outbox_depth: int | None  # None when the body has no integer there


class DashboardQueries:
    """Read-only queries of a :class:`~hub.store.Store` for the dashboard and its alerts."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def status_reports(self, device_id: str, since: str, limit: int = 500) -> list[StatusReport]:
        """The device's status bodies received since ``since``, at most the ``limit`` newest,
        in the device's own order (seq): a backlog sent after an outage lands at once but
        keeps the order the device reported in."""
        # SQLite picks out the one field: decoding each whole body in Python was most of
        # the dashboard's time (make bench-ops).  MATERIALIZED: the sort by seq would
        # otherwise evaluate the JSON of every report in the window, not the newest few.
        rows = self._store._reader().execute(
            "WITH newest AS MATERIALIZED (SELECT seq, received_at, body FROM events "
            "WHERE device_id = ? AND type = 'device.status' AND received_at >= ? "
            "ORDER BY seq DESC LIMIT ?) "
            "SELECT seq, received_at, CASE json_type(body, '$.outbox_depth') "
            "WHEN 'integer' THEN json_extract(body, '$.outbox_depth') END "
            "FROM newest ORDER BY seq",
            (device_id, since, limit),
        )
        return [StatusReport(r[0], r[1], r[2]) for r in rows]

    def dead_letters_since(self, since: str) -> int:
        """How many messages were dead-lettered at or after ``since``."""
        row = (
            self._store._reader()
            .execute("SELECT COUNT(*) FROM dead_letters WHERE received_at >= ?", (since,))
            .fetchone()
        )
        return int(row[0])

    def called_between(self, direction: str, since: str, until: str) -> list[str]:
        """``called_at`` of the direction's trucks called forward in [since, until)."""
        rows = self._store._reader().execute(
            "SELECT called_at FROM bookings WHERE direction = ? AND called_at >= ? "
            "AND called_at < ? ORDER BY called_at",
            (direction, since, until),
        )
        return [str(r[0]) for r in rows]

    def waits_between(self, direction: str, since: str, until: str) -> list[tuple[str, str]]:
        """(queued_at, called_at) of the direction's trucks called in [since, until)."""
        rows = self._store._reader().execute(
            "SELECT queued_at, called_at FROM bookings WHERE direction = ? AND called_at >= ? "
            "AND called_at < ? AND queued_at IS NOT NULL",
            (direction, since, until),
        )
        return [(str(r[0]), str(r[1])) for r in rows]
