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

# The electronic queue (hub/queue/).  Plate keys (confusion-folded, with the
# country) are locked while a booking is active: the UNIQUE primary key is what makes
# a second booking of one vehicle impossible, whatever the interleaving.
_V2 = (
    """
    CREATE TABLE bookings (
        id              INTEGER PRIMARY KEY,
        booking         TEXT NOT NULL UNIQUE,
        checkpoint      TEXT NOT NULL,
        direction       TEXT NOT NULL,
        category        TEXT NOT NULL,
        slot            TEXT,
        stream          TEXT NOT NULL,
        state           TEXT NOT NULL,
        tractor_plate   TEXT NOT NULL,
        tractor_country TEXT NOT NULL,
        tractor_key     TEXT NOT NULL,
        trailers        TEXT NOT NULL,
        driver_name     TEXT NOT NULL,
        driver_phone    TEXT NOT NULL,
        carrier         TEXT NOT NULL,
        created_at      TEXT NOT NULL,
        updated_at      TEXT NOT NULL,
        hold_expires    TEXT,
        queued_at       TEXT,
        called_at       TEXT,
        lane            TEXT,
        reschedules     INTEGER NOT NULL DEFAULT 0,
        driver_changes  INTEGER NOT NULL DEFAULT 0,
        client          TEXT NOT NULL DEFAULT ''
    )
    """,
    "CREATE INDEX bookings_slot ON bookings (direction, slot, category, state)",
    "CREATE INDEX bookings_state ON bookings (state, direction)",
    "CREATE INDEX bookings_tractor ON bookings (tractor_key, state)",
    """
    CREATE TABLE plate_locks (
        plate_key  TEXT PRIMARY KEY,
        booking_id INTEGER NOT NULL REFERENCES bookings (id)
    )
    """,
    """
    CREATE TABLE capacity (
        direction TEXT NOT NULL,
        category  TEXT NOT NULL,
        hour      TEXT NOT NULL,
        slots     INTEGER NOT NULL,
        PRIMARY KEY (direction, category, hour)
    )
    """,
    """
    CREATE TABLE bans (
        plate_key TEXT NOT NULL,
        until     TEXT NOT NULL,
        reason    TEXT NOT NULL,
        at        TEXT NOT NULL
    )
    """,
    "CREATE INDEX bans_plate ON bans (plate_key, until)",
    """
    CREATE TABLE queue_journal (
        seq     INTEGER PRIMARY KEY,
        at      TEXT NOT NULL,
        kind    TEXT NOT NULL,
        booking TEXT,
        body    TEXT NOT NULL,
        prev    TEXT NOT NULL,
        hash    TEXT NOT NULL
    )
    """,
    "CREATE INDEX queue_journal_booking ON queue_journal (booking)",
    """
    CREATE TABLE unmatched_reads (
        id        INTEGER PRIMARY KEY,
        event_id  TEXT NOT NULL UNIQUE,
        lane      TEXT NOT NULL,
        role      TEXT NOT NULL,
        plate     TEXT NOT NULL,
        country   TEXT,
        reason    TEXT NOT NULL,
        at        TEXT NOT NULL
    )
    """,
    "CREATE INDEX unmatched_reads_at ON unmatched_reads (at)",
    # Where the queue's reader of lane events got to (it survives restarts).
    "CREATE TABLE queue_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """
    CREATE TABLE users (
        username      TEXT PRIMARY KEY,
        password_hash TEXT NOT NULL,
        role          TEXT NOT NULL,
        created_at    TEXT NOT NULL
    )
    """,
    """
    CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        username   TEXT NOT NULL REFERENCES users (username),
        csrf       TEXT NOT NULL,
        expires    TEXT NOT NULL
    )
    """,
)

# The no-show sweep looks for booked trucks whose slot has passed: with 100,000
# bookings stored, the (state, direction) index alone scanned them all.
_V3 = ("CREATE INDEX bookings_state_slot ON bookings (state, slot)",)

# Pre-arrival notifications (hub.notify): every amendment kept whole; the identifiers
# a lane can see (plates, containers, seals, SSCCs) indexed for matching and search;
# what each lane saw of each vehicle and the match it gave (arrivals); carriers' API
# tokens (only their SHA-256).
_V4 = (
    """
    CREATE TABLE notifications (
        id            INTEGER PRIMARY KEY,
        submitter     TEXT NOT NULL,
        notification  TEXT NOT NULL,
        amendment     INTEGER NOT NULL,
        received_at   TEXT NOT NULL,
        submitted_at  TEXT NOT NULL,
        direction     TEXT NOT NULL,
        eta_from      TEXT NOT NULL,
        eta_to        TEXT NOT NULL,
        booking       TEXT,
        body          TEXT NOT NULL,
        digest        TEXT NOT NULL,
        UNIQUE (submitter, notification, amendment)
    )
    """,
    """
    CREATE TABLE notification_heads (
        submitter     TEXT NOT NULL,
        notification  TEXT NOT NULL,
        latest        INTEGER NOT NULL REFERENCES notifications (id),
        state         TEXT NOT NULL DEFAULT 'open',
        updated_at    TEXT NOT NULL,
        PRIMARY KEY (submitter, notification)
    )
    """,
    "CREATE INDEX notification_heads_state ON notification_heads (state, latest)",
    """
    CREATE TABLE notification_keys (
        version       INTEGER NOT NULL REFERENCES notifications (id),
        kind          TEXT NOT NULL,
        key           TEXT NOT NULL
    )
    """,
    "CREATE INDEX notification_keys_key ON notification_keys (kind, key)",
    "CREATE INDEX notification_keys_version ON notification_keys (version)",
    """
    CREATE TABLE arrivals (
        id            INTEGER PRIMARY KEY,
        lane          TEXT NOT NULL,
        started_at    TEXT NOT NULL,
        updated_at    TEXT NOT NULL,
        sighting      TEXT NOT NULL,
        result        TEXT NOT NULL,
        version       INTEGER REFERENCES notifications (id),
        level         TEXT NOT NULL,
        score         REAL NOT NULL,
        decided       INTEGER NOT NULL DEFAULT 0
    )
    """,
    "CREATE INDEX arrivals_lane ON arrivals (lane, id)",
    """
    CREATE TABLE decisions (
        seq           INTEGER PRIMARY KEY,
        at            TEXT NOT NULL,
        officer       TEXT NOT NULL,
        arrival       INTEGER NOT NULL REFERENCES arrivals (id),
        action        TEXT NOT NULL,
        body          TEXT NOT NULL,
        prev          TEXT NOT NULL,
        hash          TEXT NOT NULL UNIQUE
    )
    """,
    "CREATE INDEX decisions_arrival ON decisions (arrival)",
    # Append-only: the audit log refuses to be edited, even by the hub's own SQL.
    """
    CREATE TRIGGER decisions_no_update BEFORE UPDATE ON decisions
    BEGIN SELECT RAISE(ABORT, 'the decision log is append-only'); END
    """,
    """
    CREATE TRIGGER decisions_no_delete BEFORE DELETE ON decisions
    BEGIN SELECT RAISE(ABORT, 'the decision log is append-only'); END
    """,
    """
    CREATE TABLE carrier_tokens (
        token_hash    TEXT PRIMARY KEY,
        carrier       TEXT NOT NULL,
        created_at    TEXT NOT NULL,
        revoked_at    TEXT
    )
    """,
)

# Lockout after repeated failed logins (hub.auth).
_V5 = (
    "ALTER TABLE users ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE users ADD COLUMN locked_until TEXT",
)

# Evidence crops sent by lane devices, by the SHA-256 their signed events carry.
_V6 = (
    """
    CREATE TABLE evidence (
        sha256       TEXT PRIMARY KEY,
        device_id    TEXT NOT NULL REFERENCES devices (device_id),
        media_type   TEXT NOT NULL,
        received_at  TEXT NOT NULL,
        data         BLOB NOT NULL
    )
    """,
)


def _append_only(tables: tuple[str, ...], what: str = "") -> tuple[str, ...]:
    """Triggers refusing UPDATE and DELETE on ``tables``."""
    return tuple(
        f"""
        CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table}
        BEGIN SELECT RAISE(ABORT, '{what or table} is append-only'); END
        """
        for table in tables
        for op in ("UPDATE", "DELETE")
    )


# The certificate log (hub.cert): the RFC 9162 tree's leaf and perfect-subtree hashes
# (level, index), so a proof reads about log2(n) rows; the certificates whose digests are
# its leaves; the signed checkpoints and the witnesses' cosignatures on them; and, as a
# witness of a neighbour's log, the latest checkpoint cosigned and the ones refused.
_V7 = (
    """
    CREATE TABLE log_hashes (
        level        INTEGER NOT NULL,
        idx          INTEGER NOT NULL,
        hash         BLOB NOT NULL,
        PRIMARY KEY (level, idx)
    )
    """,
    """
    CREATE TABLE certificates (
        idx          INTEGER PRIMARY KEY,
        cert_id      TEXT NOT NULL UNIQUE,
        issued_at    TEXT NOT NULL,
        arrival      INTEGER REFERENCES arrivals (id),
        submitter    TEXT,
        notification TEXT,
        body         TEXT NOT NULL,
        digest       TEXT NOT NULL
    )
    """,
    "CREATE INDEX certificates_arrival ON certificates (arrival)",
    """
    CREATE TABLE log_checkpoints (
        size         INTEGER PRIMARY KEY,
        root         BLOB NOT NULL,
        signed_at    TEXT NOT NULL,
        note         TEXT NOT NULL
    )
    """,
    """
    CREATE TABLE log_cosignatures (
        size         INTEGER NOT NULL REFERENCES log_checkpoints (size),
        witness      TEXT NOT NULL,
        line         TEXT NOT NULL,
        added_at     TEXT NOT NULL,
        PRIMARY KEY (size, witness)
    )
    """,
    """
    CREATE TABLE witness_state (
        origin       TEXT PRIMARY KEY,
        size         INTEGER NOT NULL,
        root         BLOB NOT NULL,
        note         TEXT NOT NULL,
        updated_at   TEXT NOT NULL
    )
    """,
    """
    CREATE TABLE witness_refusals (
        id           INTEGER PRIMARY KEY,
        at           TEXT NOT NULL,
        origin       TEXT NOT NULL,
        status       INTEGER NOT NULL,
        reason       TEXT NOT NULL,
        request      TEXT NOT NULL
    )
    """,
    *_append_only(("log_hashes", "certificates", "log_checkpoints"), "the certificate log"),
)

# Device lifecycle (hub/store/device_sql.py): revocations are final, and every
# lifecycle action is in an append-only audit log.
_V8: tuple[str, ...] = (
    """
    CREATE TABLE device_revocations (
        device_id    TEXT PRIMARY KEY REFERENCES devices (device_id),
        revoked_at   TEXT NOT NULL,
        reason       TEXT NOT NULL,
        actor        TEXT NOT NULL
    )
    """,
    """
    CREATE TABLE audit_log (
        id           INTEGER PRIMARY KEY,
        at           TEXT NOT NULL,
        actor        TEXT NOT NULL,
        action       TEXT NOT NULL,
        subject      TEXT NOT NULL,
        detail       TEXT NOT NULL
    )
    """,
    *_append_only(("device_revocations", "audit_log")),
)

# Idle session expiry (hub.auth): when a session last made a request.  Device
# enrolment (hub/store/device_sql.py): a device's request waits here for an operator,
# keyed by the code both ends print; and every signing key a device has had, with the
# first seq it signs, so events from before a key rotation still verify.
_V9: tuple[str, ...] = (
    "ALTER TABLE sessions ADD COLUMN last_seen TEXT",
    """
    CREATE TABLE enrolments (
        code           TEXT PRIMARY KEY,
        device_id      TEXT NOT NULL,
        checkpoint     TEXT NOT NULL,
        lane           TEXT NOT NULL,
        public_key_b64 TEXT NOT NULL,
        csr_pem        TEXT NOT NULL,
        requested_at   TEXT NOT NULL,
        requested_from TEXT NOT NULL,
        state          TEXT NOT NULL DEFAULT 'pending',
        decided_at     TEXT,
        decided_by     TEXT,
        reason         TEXT,
        certificate    TEXT,
        fingerprint    TEXT
    )
    """,
    "CREATE INDEX enrolments_state ON enrolments (state, requested_at)",
    """
    CREATE TABLE device_keys (
        device_id      TEXT NOT NULL REFERENCES devices (device_id),
        key_id         TEXT NOT NULL,
        public_key_b64 TEXT NOT NULL,
        from_seq       INTEGER NOT NULL,
        added_at       TEXT NOT NULL,
        PRIMARY KEY (device_id, key_id)
    )
    """,
    "INSERT INTO device_keys (device_id, key_id, public_key_b64, from_seq, added_at) "
    "SELECT device_id, key_id, public_key_b64, 1, added_at FROM devices",
    *_append_only(("device_keys",)),
)

# Operator alerts (hub/store/alert_sql.py): one open row per (rule, subject), so a
# condition is raised once and cleared once; their webhook posts wait in
# alert_deliveries until the receiver takes them (a restart loses none).  The three
# indexes serve the dashboard (hub/store/dashboard_sql.py): status reports are a small
# share of events, so a partial index costs the ingest of the others nothing.
_V10: tuple[str, ...] = (
    """
    CREATE TABLE alerts (
        id           INTEGER PRIMARY KEY,
        rule         TEXT NOT NULL,
        subject      TEXT NOT NULL,
        message      TEXT NOT NULL,
        detail       TEXT NOT NULL,
        raised_at    TEXT NOT NULL,
        cleared_at   TEXT,
        acked_at     TEXT,
        acked_by     TEXT
    )
    """,
    "CREATE UNIQUE INDEX alerts_open ON alerts (rule, subject) WHERE cleared_at IS NULL",
    """
    CREATE TABLE alert_deliveries (
        id           INTEGER PRIMARY KEY,
        alert        INTEGER NOT NULL REFERENCES alerts (id),
        kind         TEXT NOT NULL,
        body         TEXT NOT NULL,
        state        TEXT NOT NULL DEFAULT 'pending',
        attempts     INTEGER NOT NULL DEFAULT 0,
        next_at      TEXT NOT NULL,
        last_error   TEXT,
        done_at      TEXT
    )
    """,
    "CREATE INDEX alert_deliveries_due ON alert_deliveries (state, next_at)",
    "CREATE INDEX dead_letters_received_at ON dead_letters (received_at)",
    "CREATE INDEX events_status ON events (device_id, received_at) WHERE type = 'device.status'",
    "CREATE INDEX bookings_called ON bookings (direction, called_at)",
)

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    _V1, _V2, _V3, _V4, _V5, _V6, _V7, _V8, _V9, _V10,
)  # fmt: skip
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
