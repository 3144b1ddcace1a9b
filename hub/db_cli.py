"""``shekara-hub db ...``: back up the live database, restore a backup, check a file.

``db backup`` is safe while the hub runs (SQLite's online backup).  ``db restore``
refuses while the hub has the database open: stop the service first.  Both print the
file's size, SHA-256 and schema version, and what ``PRAGMA integrity_check`` said;
``docs/operations.md`` has the procedures around them.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from hub.store.backup import DbReport, backup, check, restore
from hub.store.schema import SCHEMA_VERSION


def add_commands(
    sub: argparse._SubParsersAction,  # type: ignore[type-arg]
    db_options: Callable[[argparse.ArgumentParser], None],
) -> None:
    """Register ``db`` under the hub's subcommands."""
    db = sub.add_parser("db", help="back up, restore and check the hub database")
    dsub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    save = dsub.add_parser(
        "backup", help="copy the live database to a new file (safe while the hub runs)"
    )
    save.add_argument("--out", type=Path, required=True, help="the backup file to write (new)")
    db_options(save)
    back = dsub.add_parser(
        "restore", help="replace the database by a backup (the hub must be stopped)"
    )
    back.add_argument("file", type=Path, help="a file written by `shekara-hub db backup`")
    db_options(back)
    look = dsub.add_parser("check", help="integrity check, schema version and row counts")
    db_options(look)


def _print(report: DbReport, label: str) -> None:
    print(f"{label}: {report.path}")
    print(f"  size:           {report.size} bytes")
    print(f"  sha256:         {report.sha256}")
    print(f"  schema version: {report.schema_version} (this release: {SCHEMA_VERSION})")
    print(f"  integrity:      {'; '.join(report.integrity)}")
    if report.rows:
        print("  rows:           " + ", ".join(f"{t} {n}" for t, n in report.rows.items()))


def run(args: argparse.Namespace, db_path: Callable[[argparse.Namespace], Path]) -> int:
    """Run a ``db`` command; 0 when the file is sound, 1 when the check found problems."""
    path = db_path(args)
    if args.db_command == "backup":
        _print(backup(path, args.out), "backup")
        return 0
    if args.db_command == "restore":
        report, kept = restore(args.file, path)
        _print(report, "restored")
        print(f"  previous file:  {kept or '(there was none)'}")
        print("start the hub again, e.g. systemctl start shekara-hub")
        return 0
    report = check(path)
    _print(report, "database")
    if report.schema_version > SCHEMA_VERSION:
        print(f"newer than this release (schema {SCHEMA_VERSION}): this hub cannot open it")
        return 1
    return 0 if report.ok else 1
