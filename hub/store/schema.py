"""The database schema as an ordered list of migrations.

``PRAGMA user_version`` holds how many migrations a database has had; opening a
database applies the missing ones in one transaction.  A later change appends a
migration, never edits one.  The SQL sticks to what PostgreSQL also accepts, apart
from ``INTEGER PRIMARY KEY`` (an identity column there) and BLOB (bytea).
"""

from __future__ import annotations

import sqlite3

from hub.store.models import StoreError

_V1 = (
    """
    CREATE TABLE devices (
        device_id      TEXT PRIMARY KEY,
        public_key_b64 TEXT NOT NULL,
        key_id         TEXT NOT NULL,
        checkpoint     TEXT NOT NULL,
        lane           TEXT NOT NULL,
        added_at       TEXT NOT NULL,
        last_seen      TEXT,
        last_seq       INTEGER NOT NULL DEFAULT 0,
        last_hash      TEXT,
        stored_count   INTEGER NOT NULL DEFAULT 0,
        online         INTEGER,
        session        INTEGER,
        presence_at    TEXT,
        last_status    TEXT
    )
    """,
    # rx is the hub's receive order: the cursor of GET /api/events.
    """
    CREATE TABLE events (
        rx          INTEGER PRIMARY KEY,
        event_id    TEXT NOT NULL UNIQUE,
        device_id   TEXT NOT NULL REFERENCES devices (device_id),
        checkpoint  TEXT NOT NULL,
        lane        TEXT NOT NULL,
        seq         INTEGER NOT NULL,
        type        TEXT NOT NULL,
        captured_at TEXT NOT NULL,
        received_at TEXT NOT NULL,
        body        TEXT NOT NULL,
        hash        TEXT NOT NULL,
        prev_hash   TEXT NOT NULL,
        payload     BLOB NOT NULL,
        UNIQUE (device_id, seq)
    )
    """,
    "CREATE INDEX events_received_at ON events (received_at)",
    """
    CREATE TABLE gaps (
        device_id TEXT NOT NULL REFERENCES devices (device_id),
        from_seq  INTEGER NOT NULL,
        to_seq    INTEGER NOT NULL,
        opened_at REAL NOT NULL,
        PRIMARY KEY (device_id, from_seq)
    )
    """,
    """
    CREATE TABLE dead_letters (
        id             INTEGER PRIMARY KEY,
        received_at    TEXT NOT NULL,
        topic          TEXT NOT NULL,
        reason         TEXT NOT NULL,
        detail         TEXT NOT NULL,
        device_id      TEXT,
        payload        BLOB NOT NULL,
        payload_size   INTEGER NOT NULL,
        payload_sha256 TEXT NOT NULL
    )
    """,
    "CREATE INDEX dead_letters_reason ON dead_letters (reason, id)",
)

MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1,)
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection) -> int:
    """Bring ``conn``'s database to :data:`SCHEMA_VERSION`; return the version found."""
    # IMMEDIATE: two processes opening a new file at once must not both migrate it.
    conn.execute("BEGIN IMMEDIATE")
    try:
        found = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if found > SCHEMA_VERSION:
            raise StoreError(
                f"database schema version {found} is newer than this hub's {SCHEMA_VERSION}; "
                "upgrade the hub"
            )
        for statements in MIGRATIONS[found:]:
            for sql in statements:
                conn.execute(sql)
        # PRAGMA takes no parameters; the value is our own integer.
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return found
