"""The queue's SQL: bookings, plate locks, capacity, bans, unmatched reads, the cursor.

With :mod:`hub.store.journal_sql` and :mod:`hub.store.login_sql` (whose tables it
inherits), the only SQL of the hub beside :mod:`hub.store.sqlite`.  It
shares the store's connections: writes go through the single writer's transaction,
so a capacity check, the insert, the plate locks and the journal entry are one atomic
step (``BEGIN IMMEDIATE`` under the store's lock), and 200 clients racing for 10 slots
get exactly 10.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from typing import Any

from hub.queue.journal import Entry
from hub.queue.policy import ACTIVE, Category, State, Stream
from hub.queue.records import (
    Banned,
    Booking,
    JournalNote,
    NewBooking,
    Plate,
    PlateBusy,
    SlotFull,
    UnmatchedRead,
    WrongState,
)
from hub.store.journal_sql import JournalTables
from hub.store.login_sql import LoginTables

BOOKING_COLUMNS = (
    "id, booking, checkpoint, direction, category, slot, stream, state, tractor_plate, "
    "tractor_country, tractor_key, trailers, driver_name, driver_phone, carrier, created_at, "
    "updated_at, hold_expires, queued_at, called_at, lane, reschedules, driver_changes"
)
# Columns update_booking may change; anything else is a programming error.
_UPDATABLE = frozenset(
    {"slot", "stream", "state", "driver_name", "driver_phone", "carrier", "hold_expires",
     "queued_at", "called_at", "lane", "reschedules", "driver_changes", "category"}
)  # fmt: skip


def _booking_of(row: sqlite3.Row | tuple[Any, ...]) -> Booking:
    trailers = tuple(Plate(**t) for t in json.loads(row[11]))
    return Booking(
        id=row[0], booking=row[1], checkpoint=row[2], direction=row[3],
        category=Category(row[4]), slot=row[5], stream=Stream(row[6]), state=State(row[7]),
        tractor=Plate(row[8], row[9], row[10]), trailers=trailers, driver_name=row[12],
        driver_phone=row[13], carrier=row[14], created_at=row[15], updated_at=row[16],
        hold_expires=row[17], queued_at=row[18], called_at=row[19], lane=row[20],
        reschedules=row[21], driver_changes=row[22],
    )  # fmt: skip


class QueueStore(JournalTables, LoginTables):
    """Domain-level access to the queue tables of a :class:`~hub.store.Store`."""

    # --- capacity -----------------------------------------------------------------

    def set_capacity(
        self, direction: str, category: str, hour: str, slots: int, at: str, note: JournalNote
    ) -> Entry:
        """Set one hour's slots for one category, journalled."""
        with self._store._transaction() as conn:
            conn.execute(
                "INSERT INTO capacity (direction, category, hour, slots) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (direction, category, hour) DO UPDATE SET slots = excluded.slots",
                (direction, category, hour, slots),
            )
            return self._append(conn, at, None, note)

    def capacity_overrides(
        self, direction: str, first_hour: str, last_hour: str
    ) -> dict[tuple[str, str], int]:
        """(category, hour) -> slots set by operators within the hours given."""
        rows = self._store._reader().execute(
            "SELECT category, hour, slots FROM capacity "
            "WHERE direction = ? AND hour >= ? AND hour <= ?",
            (direction, first_hour, last_hour),
        )
        return {(r[0], r[1]): r[2] for r in rows}

    def slot_usage(
        self, direction: str, first_hour: str, last_hour: str, now: str
    ) -> dict[tuple[str, str], int]:
        """(category, hour) -> slots taken: bookings not cancelled, expired or no-show."""
        rows = self._store._reader().execute(
            "SELECT category, slot, COUNT(*) FROM bookings "
            "WHERE direction = ? AND slot >= ? AND slot <= ? AND stream = 'booked' "
            "AND state NOT IN ('cancelled', 'expired', 'no_show') "
            "AND NOT (state = 'held' AND hold_expires <= ?) GROUP BY category, slot",
            (direction, first_hour, last_hour, now),
        )
        return {(r[0], r[1]): r[2] for r in rows}

    @staticmethod
    def _taken(conn: sqlite3.Connection, direction: str, category: str, slot: str, now: str) -> int:
        row = conn.execute(
            "SELECT COUNT(*) FROM bookings WHERE direction = ? AND category = ? AND slot = ? "
            "AND stream = 'booked' AND state NOT IN ('cancelled', 'expired', 'no_show') "
            "AND NOT (state = 'held' AND hold_expires <= ?)",
            (direction, category, slot, now),
        ).fetchone()
        return int(row[0])

    # --- bookings -----------------------------------------------------------------

    def insert_booking(
        self, new: NewBooking, capacity: int | None, at: str, note: JournalNote
    ) -> Booking:
        """Insert a hold or a walk-in, atomically with its checks and journal entry.

        Raises :class:`Banned`, :class:`SlotFull` (``capacity`` given and reached) or
        :class:`PlateBusy` (a plate already in an active booking).
        """
        with self._store._transaction() as conn:
            for key in (new.tractor.key, *(t.key for t in new.trailers)):
                ban = conn.execute(
                    "SELECT until FROM bans WHERE plate_key = ? AND until > ? "
                    "ORDER BY until DESC LIMIT 1",
                    (key, at),
                ).fetchone()
                if ban:
                    raise Banned(f"this vehicle may not book until {ban[0]}", until=ban[0])
            if capacity is not None and new.slot is not None:
                taken = self._taken(conn, new.direction, new.category, new.slot, at)
                if taken >= capacity:
                    raise SlotFull(f"no {new.category} slot left at {new.slot}", slot=new.slot)
            trailers = json.dumps([{"text": t.text, "country": t.country, "key": t.key}
                                   for t in new.trailers])  # fmt: skip
            cursor = conn.execute(
                f"INSERT INTO bookings ({BOOKING_COLUMNS.removeprefix('id, ')}, client) "  # noqa: S608
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, ?)",
                (new.booking, new.checkpoint, new.direction, new.category.value, new.slot,
                 new.stream.value, new.state.value, new.tractor.text, new.tractor.country,
                 new.tractor.key, trailers, new.driver_name, new.driver_phone, new.carrier,
                 at, at, new.hold_expires, new.queued_at, None, None, new.client),
            )  # fmt: skip
            row_id = int(cursor.lastrowid or 0)
            self._lock_plates(conn, row_id, [new.tractor, *new.trailers])
            self._append(conn, at, new.booking, note)
            return self._get(conn, "id", row_id)

    @staticmethod
    def _lock_plates(conn: sqlite3.Connection, row_id: int, plates: Iterable[Plate]) -> None:
        for plate in plates:
            try:
                conn.execute(
                    "INSERT INTO plate_locks (plate_key, booking_id) VALUES (?, ?)",
                    (plate.key, row_id),
                )
            except sqlite3.IntegrityError:
                raise PlateBusy(
                    f"{plate.text} ({plate.country}) already has an active booking",
                    plate=plate.text,
                ) from None

    @staticmethod
    def _get(conn: sqlite3.Connection, column: str, value: Any) -> Booking:
        assert column in ("id", "booking")
        row = conn.execute(
            f"SELECT {BOOKING_COLUMNS} FROM bookings WHERE {column} = ?",  # noqa: S608
            (value,),
        ).fetchone()
        return _booking_of(row)

    def update_booking(
        self,
        booking: str,
        expect: Iterable[State],
        changes: dict[str, Any],
        at: str,
        note: JournalNote,
        capacity: int | None = None,
    ) -> Booking:
        """Change a booking in one of the ``expect`` states, journalled, atomically.

        Leaving the active states releases its plates.  With ``capacity`` given, the new
        slot in ``changes`` must have room (a reschedule).  Raises :class:`WrongState`.
        """
        bad = set(changes) - _UPDATABLE
        assert not bad, f"not updatable: {bad}"
        allowed = {s.value for s in expect}
        with self._store._transaction() as conn:
            current = conn.execute(
                f"SELECT {BOOKING_COLUMNS} FROM bookings WHERE booking = ?",  # noqa: S608
                (booking,),
            ).fetchone()
            if current is None:
                raise WrongState("no such booking")
            before = _booking_of(current)
            if before.state.value not in allowed:
                raise WrongState(f"the booking is {before.state.value}", state=before.state.value)
            if capacity is not None and "slot" in changes:
                category = str(changes.get("category", before.category.value))
                if self._taken(conn, before.direction, category, changes["slot"], at) >= capacity:
                    raise SlotFull(f"no {category} slot left at {changes['slot']}")
            values = {k: (v.value if isinstance(v, State | Stream | Category) else v)
                      for k, v in changes.items()}  # fmt: skip
            values["updated_at"] = at
            assignments = ", ".join(f"{k} = ?" for k in values)
            conn.execute(
                f"UPDATE bookings SET {assignments} WHERE id = ?",  # noqa: S608
                (*values.values(), before.id),
            )
            after = self._get(conn, "id", before.id)
            if before.state in ACTIVE and after.state not in ACTIVE:
                conn.execute("DELETE FROM plate_locks WHERE booking_id = ?", (before.id,))
            self._append(conn, at, booking, note)
            return after

    def get(self, booking: str) -> Booking | None:
        """A booking by its journal id, or None."""
        row = (
            self._store._reader()
            .execute(
                f"SELECT {BOOKING_COLUMNS} FROM bookings WHERE booking = ?",  # noqa: S608
                (booking,),
            )
            .fetchone()
        )
        return _booking_of(row) if row else None

    def active_by_plate(self, plate_key: str) -> Booking | None:
        """The active booking holding ``plate_key``, or None."""
        row = (
            self._store._reader()
            .execute(
                f"SELECT {', '.join('b.' + c.strip() for c in BOOKING_COLUMNS.split(','))} "  # noqa: S608
                "FROM plate_locks l JOIN bookings b ON b.id = l.booking_id WHERE l.plate_key = ?",
                (plate_key,),
            )
            .fetchone()
        )
        return _booking_of(row) if row else None

    def in_states(
        self, states: Iterable[State], direction: str | None = None, limit: int = 10_000
    ) -> list[Booking]:
        """Bookings in any of ``states`` (optionally one direction), oldest first."""
        wanted = [s.value for s in states]
        marks = ", ".join("?" for _ in wanted)
        where = f"state IN ({marks})" + (" AND direction = ?" if direction else "")
        params: list[Any] = [*wanted, *([direction] if direction else []), limit]
        rows = self._store._reader().execute(
            f"SELECT {BOOKING_COLUMNS} FROM bookings WHERE {where} ORDER BY id LIMIT ?",  # noqa: S608
            params,
        )
        return [_booking_of(r) for r in rows]

    def expired_holds(self, now: str) -> list[Booking]:
        """Holds whose time ran out and that are still marked held."""
        rows = self._store._reader().execute(
            f"SELECT {BOOKING_COLUMNS} FROM bookings "  # noqa: S608
            "WHERE state = 'held' AND hold_expires <= ?",
            (now,),
        )
        return [_booking_of(r) for r in rows]

    def missed(self, slot_before: str) -> list[Booking]:
        """Booked trucks that never checked in for a slot starting before ``slot_before``."""
        rows = self._store._reader().execute(
            f"SELECT {BOOKING_COLUMNS} FROM bookings "  # noqa: S608
            "WHERE state = 'booked' AND stream = 'booked' AND slot < ?",
            (slot_before,),
        )
        return [_booking_of(r) for r in rows]

    def decided_before(self, before: str) -> list[Booking]:
        """Cleared or refused trucks decided before ``before`` and never read at the exit."""
        rows = self._store._reader().execute(
            f"SELECT {BOOKING_COLUMNS} FROM bookings "  # noqa: S608
            "WHERE state IN ('cleared', 'refused') AND updated_at < ?",
            (before,),
        )
        return [_booking_of(r) for r in rows]

    def count_in_state(self, tractor_key: str, state: State, since: str) -> int:
        """How many of this tractor's bookings reached ``state`` since ``since``."""
        row = (
            self._store._reader()
            .execute(
                "SELECT COUNT(*) FROM bookings "
                "WHERE tractor_key = ? AND state = ? AND updated_at >= ?",
                (tractor_key, state.value, since),
            )
            .fetchone()
        )
        return int(row[0])

    def count_priority_calls(self, direction: str, slot: str, categories: list[str]) -> int:
        """Trucks of ``categories`` booked for ``slot`` and called once it had begun."""
        marks = ", ".join("?" for _ in categories)
        row = (
            self._store._reader()
            .execute(
                "SELECT COUNT(*) FROM bookings WHERE direction = ? AND slot = ? "  # noqa: S608
                f"AND stream = 'booked' AND category IN ({marks}) AND called_at >= ?",
                (direction, slot, *categories, slot),
            )
            .fetchone()
        )
        return int(row[0])

    def waits_since(self, direction: str, since: str) -> list[tuple[str, str]]:
        """(queued_at, called_at) of trucks of ``direction`` called since ``since``."""
        rows = self._store._reader().execute(
            "SELECT queued_at, called_at FROM bookings WHERE direction = ? AND called_at >= ? "
            "AND queued_at IS NOT NULL",
            (direction, since),
        )
        return [(r[0], r[1]) for r in rows]

    def churn(self, since: str, limit: int = 50) -> list[tuple[str, str, int, int]]:
        """(plate, country, cancellations, driver changes) per tractor since ``since``."""
        rows = self._store._reader().execute(
            "SELECT MAX(tractor_plate), MAX(tractor_country), "
            "SUM(CASE WHEN state = 'cancelled' THEN 1 ELSE 0 END) AS cancels, "
            "SUM(driver_changes) AS changes FROM bookings WHERE updated_at >= ? "
            "GROUP BY tractor_key HAVING SUM(CASE WHEN state = 'cancelled' THEN 1 ELSE 0 END) > 0 "
            "OR SUM(driver_changes) > 0 ORDER BY cancels + changes DESC LIMIT ?",
            (since, limit),
        )
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    def add_ban(self, plate_key: str, until: str, reason: str, at: str, note: JournalNote) -> None:
        """Ban a tractor from booking until ``until``, journalled."""
        with self._store._transaction() as conn:
            conn.execute(
                "INSERT INTO bans (plate_key, until, reason, at) VALUES (?, ?, ?, ?)",
                (plate_key, until, reason, at),
            )
            self._append(conn, at, None, note)

    # --- unmatched reads ------------------------------------------------------------

    def add_unmatched(
        self, event_id: str, lane: str, role: str, plate: str, country: str | None,
        reason: str, at: str,
    ) -> None:  # fmt: skip
        """Keep a plate read no active booking explains (once per event)."""
        with self._store._transaction() as conn:
            conn.execute(
                "INSERT INTO unmatched_reads (event_id, lane, role, plate, country, reason, at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING",
                (event_id, lane, role, plate, country, reason, at),
            )

    def unmatched(self, limit: int = 100) -> list[UnmatchedRead]:
        """The newest unmatched reads."""
        rows = self._store._reader().execute(
            "SELECT id, event_id, lane, role, plate, country, reason, at FROM unmatched_reads "
            "ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [UnmatchedRead(*r) for r in rows]

    def meta(self, key: str) -> str | None:
        """A value the queue keeps across restarts (e.g. its lane-event cursor)."""
        row = (
            self._store._reader()
            .execute("SELECT value FROM queue_meta WHERE key = ?", (key,))
            .fetchone()
        )
        return str(row[0]) if row else None

    def set_meta(self, key: str, value: str) -> None:
        """Set a value kept across restarts."""
        with self._store._transaction() as conn:
            conn.execute(
                "INSERT INTO queue_meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )
