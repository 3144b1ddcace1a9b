"""Online backup, restore and check of the hub's SQLite database.

A backup goes through SQLite's backup API in one step: it reads one consistent
snapshot while the hub keeps writing (in WAL mode a reader never blocks the writer,
and copying everything in one step means no concurrent commit can restart the copy).
The copy is written beside its target, switched to a self-contained rollback journal,
checked with ``PRAGMA integrity_check``, fsynced and only then renamed into place: a
file named like a backup is always a whole, checked one.

A restore refuses a file that fails the integrity check, is not a hub database, or
was made by a newer release (this one could not read its schema).  It also refuses
while any process holds the live database open, which is how a running hub is seen:
in WAL mode every open connection holds a shared lock on the ``-shm`` file, so an
exclusive lock succeeds only when nobody else has the file open.  The replaced file is
kept as ``<db>.before-restore-<time>``.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from hub.store.models import StoreError
from hub.store.schema import SCHEMA_VERSION

log = logging.getLogger(__name__)

# What `check` counts: the tables an operator asks about after a restore.
COUNTED_TABLES = (
    "devices", "events", "dead_letters", "bookings", "queue_journal", "arrivals",
    "certificates",
)  # fmt: skip


class DatabaseInUse(StoreError):
    """Another process (a running hub) has the database open."""


@dataclass(frozen=True, slots=True)
class DbReport:
    """What a backup, restore or check found about one database file."""

    path: Path
    size: int
    sha256: str
    schema_version: int
    integrity: list[str]  # ["ok"] or SQLite's first problems
    rows: dict[str, int]  # row counts of COUNTED_TABLES present in the file

    @property
    def ok(self) -> bool:
        """Whether ``PRAGMA integrity_check`` found nothing wrong."""
        return self.integrity == ["ok"]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def _connect(path: Path) -> Iterator[sqlite3.Connection]:
    # sqlite3.connect creates a missing file: refuse that before it happens.
    if not path.is_file():
        raise StoreError(f"{path}: no such database file")
    try:
        conn = sqlite3.connect(path, isolation_level=None, timeout=10)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot open {path}: {exc}") from None
    try:
        yield conn
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path}: {exc}") from None
    finally:
        conn.close()


def _inspect(conn: sqlite3.Connection) -> tuple[int, list[str], dict[str, int]]:
    """(schema version, integrity_check lines, row counts) of an open database."""
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    try:
        problems = [str(r[0]) for r in conn.execute("PRAGMA integrity_check(20)")]
    except sqlite3.DatabaseError as exc:
        if "not a database" in str(exc):
            raise
        return version, [str(exc)], {}  # damaged past what the check can walk
    if problems != ["ok"]:
        return version, problems, {}
    present = {
        str(r[0]) for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    }
    rows = {}
    for table in COUNTED_TABLES:
        if table in present:
            # The name comes from the constant tuple above, never from input.
            rows[table] = int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608
    return version, problems, rows


def check(path: Path) -> DbReport:
    """Integrity, schema version and row counts of ``path`` (safe while the hub runs)."""
    with _connect(path) as conn:
        version, problems, rows = _inspect(conn)
    return DbReport(path, path.stat().st_size, _sha256(path), version, problems, rows)


def backup(db: Path, out: Path) -> DbReport:
    """Copy the live database ``db`` to ``out`` (a new file) and check the copy."""
    if out.exists():
        raise StoreError(f"{out} exists; choose a new file name for the backup")
    if not out.parent.is_dir():
        raise StoreError(f"{out.parent}: no such directory")
    partial = out.with_name(f".{out.name}.partial")
    partial.unlink(missing_ok=True)
    # The copy holds plates, phones and names: readable by its owner only, from the start.
    os.close(os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    try:
        with _connect(db) as source, _connect(partial) as target:
            source.backup(target)  # pages=-1: the whole snapshot in one step
            # A single self-contained file: no -wal beside it to forget when copying.
            target.execute("PRAGMA journal_mode = DELETE")
            version, problems, rows = _inspect(target)
        if problems != ["ok"]:
            raise StoreError(f"the copy of {db} fails the integrity check: {'; '.join(problems)}")
        _fsync(partial)
        os.replace(partial, out)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    report = DbReport(out, out.stat().st_size, _sha256(out), version, problems, rows)
    log.info("backup of %s written to %s (%d bytes)", db, out, report.size)
    return report


def ensure_not_in_use(db: Path) -> None:
    """Raise :class:`DatabaseInUse` if another process has ``db`` open."""
    if not db.exists():
        return
    conn = sqlite3.connect(db, isolation_level=None, timeout=0)
    try:
        conn.execute("PRAGMA locking_mode = EXCLUSIVE")
        conn.execute("BEGIN EXCLUSIVE")
        conn.execute("COMMIT")
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise DatabaseInUse(
                f"{db} is open in another process (is the hub running? stop it first, "
                "e.g. systemctl stop shekara-hub)"
            ) from None
        raise StoreError(f"{db}: {exc}") from None
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{db}: {exc}") from None
    finally:
        conn.close()  # the last connection: SQLite checkpoints and removes the -wal


def restore(source: Path, db: Path, now: datetime | None = None) -> tuple[DbReport, Path | None]:
    """Replace ``db`` by a copy of the backup ``source``.

    Returns the check of the restored database and where the replaced file was kept
    (None when there was none).
    """
    found = check(source)
    if not found.ok:
        raise StoreError(f"{source} fails the integrity check: {'; '.join(found.integrity)}")
    if found.schema_version == 0 or "devices" not in found.rows:
        raise StoreError(f"{source} is not a Shekara hub database")
    if found.schema_version > SCHEMA_VERSION:
        raise StoreError(
            f"{source} has schema version {found.schema_version}, newer than this release's "
            f"{SCHEMA_VERSION}: restore it with the release that made it, or upgrade first"
        )
    if not db.parent.is_dir():
        raise StoreError(f"{db.parent}: no such directory")
    staged = db.with_name(f".{db.name}.restoring")
    staged.unlink(missing_ok=True)
    os.close(os.open(staged, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    try:
        with _connect(source) as src, _connect(staged) as target:
            src.backup(target)
        _keep_owner(db, staged)
        _fsync(staged)
        ensure_not_in_use(db)
        kept = _set_aside(db, now or datetime.now(UTC))
        os.replace(staged, db)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    log.warning("restored %s from %s; the previous file is %s", db, source, kept)
    return check(db), kept


def _keep_owner(db: Path, staged: Path) -> None:
    """Give the restored file the replaced one's owner and mode (a root restore must
    not leave the hub's user unable to write its database)."""
    if not db.exists():
        return
    st = db.stat()
    if os.geteuid() == 0:
        os.chown(staged, st.st_uid, st.st_gid)
    os.chmod(staged, st.st_mode & 0o777)


def _set_aside(db: Path, now: datetime) -> Path | None:
    if not db.exists():
        return None
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    kept = db.with_name(f"{db.name}.before-restore-{stamp}")
    if kept.exists():
        raise StoreError(f"{kept} exists; wait a second and restore again")
    os.replace(db, kept)
    # A clean close removed the -wal and -shm; a crashed hub may have left them, and
    # they belong to the old file, not to the restored one.
    for suffix in ("-wal", "-shm"):
        side = db.with_name(db.name + suffix)
        if side.exists():
            os.replace(side, kept.with_name(kept.name + suffix))
    return kept
