"""``shekara-hub queue ...`` and ``shekara-hub user ...``: the journal check, export, logins.

``queue verify`` is the offline check a neighbouring customs service or a driver's
lawyer runs: from the hub's database, from an exported JSON-lines file, or from a
running hub's public ``/api/queue/journal``.  Exit status 0 when the journal is
intact and every call followed the published order, 1 with the entry at fault.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from hub.queue.journal import Entry, JournalError, read_lines, verify
from shekara.errors import ConfigError
from shekara.wire import utc_timestamp

PAGE = 10_000


def add_commands(
    sub: argparse._SubParsersAction,  # type: ignore[type-arg]
    db_options: Callable[[argparse.ArgumentParser], None],
) -> None:
    """Register ``queue`` and ``user`` under the hub's subcommands."""
    queue = sub.add_parser("queue", help="check and export the queue journal")
    qsub = queue.add_subparsers(dest="queue_command", required=True, metavar="ACTION")
    check = qsub.add_parser(
        "verify", help="check the journal is intact and every call kept the published order"
    )
    source = check.add_mutually_exclusive_group()
    source.add_argument("--db", type=Path, help="database file")
    source.add_argument("--config", type=Path, help="take db_path from this TOML config")
    source.add_argument("--file", type=Path, help="an exported journal (JSON lines)")
    source.add_argument("--url", help="a hub's base URL, e.g. http://hub:8080")
    export = qsub.add_parser("export", help="write the journal as JSON lines")
    export.add_argument("--out", type=Path, help="output file (default: standard output)")
    db_options(export)

    user = sub.add_parser("user", help="officer, operator and admin logins")
    usub = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    add = usub.add_parser("add", help="create a login, or set its password and role")
    add.add_argument("username")
    add.add_argument("--role", choices=["officer", "operator", "admin"], default="officer")
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    db_options(add)


def run(args: argparse.Namespace, db_path: Callable[[argparse.Namespace], Path]) -> int:
    """Run a ``queue`` or ``user`` command."""
    if args.command == "user":
        return _user_add(args, db_path(args))
    if args.queue_command == "export":
        return _export(args, db_path(args))
    return _verify(args, db_path)


def _entries_from_db(path: Path) -> Iterator[Entry]:
    from hub.store import Store
    from hub.store.queue_sql import QueueStore

    if not path.is_file():
        raise ConfigError(f"no database at {path}")
    with Store(path) as store:
        queue, after = QueueStore(store), 0
        while page := queue.journal(after, PAGE):
            yield from page
            after = page[-1].seq


def _entries_from_url(base: str) -> Iterator[Entry]:
    if not base.startswith(("http://", "https://")):
        raise ConfigError(f"--url must start with http:// or https://, not {base!r}")
    after = 0
    while True:
        url = f"{base.rstrip('/')}/api/queue/journal?after={after}&limit={PAGE}"
        try:
            with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310
                page = json.load(response)
        except OSError as exc:
            raise ConfigError(f"cannot fetch {url}: {exc}") from None
        if not page:
            return
        entries = [Entry.from_json(obj) for obj in page]
        yield from entries
        after = entries[-1].seq


def _verify(args: argparse.Namespace, db_path: Callable[[argparse.Namespace], Path]) -> int:
    if args.file is not None:
        try:
            lines = args.file.read_text().splitlines()
        except OSError as exc:
            raise ConfigError(f"cannot read {args.file}: {exc.strerror}") from None
        entries: Iterator[Entry] = read_lines(lines)
        where = str(args.file)
    elif args.url is not None:
        entries, where = _entries_from_url(args.url), args.url
    else:
        path = db_path(args)
        entries, where = _entries_from_db(path), str(path)
    try:
        verdict = verify(entries)
    except JournalError as exc:
        print(f"FAILED {where}: {exc}", file=sys.stderr)
        return 1
    print(f"OK {where}: {verdict.entries} entries intact, {verdict.calls} calls in the "
          f"published order; head {verdict.head}")  # fmt: skip
    return 0


def _export(args: argparse.Namespace, path: Path) -> int:
    out = args.out.open("w") if args.out else sys.stdout
    try:
        count = 0
        for entry in _entries_from_db(path):
            out.write(json.dumps(entry.to_json(), ensure_ascii=False) + "\n")
            count += 1
    finally:
        if args.out:
            out.close()
    if args.out:
        print(f"wrote {count} entries to {args.out}")
    return 0


def _user_add(args: argparse.Namespace, path: Path) -> int:
    from hub.auth import hash_password
    from hub.store import Store
    from hub.store.queue_sql import QueueStore

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"password for {args.username}: ")
    with Store(path) as store:
        QueueStore(store).add_user(
            args.username, hash_password(password), args.role, utc_timestamp(datetime.now(UTC))
        )
    print(f"{args.username} can log in as {args.role}")
    return 0
