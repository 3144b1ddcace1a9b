"""``shekara-hub``: run the hub, register devices and logins, verify the queue journal.

Every failure the operator can fix (a bad key file, a taken device id, a bad config)
is one line on stderr and a non-zero exit status, never a traceback.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from hub import cert_cli, db_cli, device_cli, notify_cli, queue_cli
from hub.config import HubSettings, load_settings
from hub.config_example import EXAMPLE_TOML
from shekara.errors import ConfigError, ShekaraError
from shekara.keys import load_public_key
from shekara.logs import LOG_FORMATS, LogFormat, setup_logging
from shekara.wire import Address

log = logging.getLogger(__name__)

PROG = "shekara-hub"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used by the docs test)."""
    parser = argparse.ArgumentParser(prog=PROG, description="Shekara hub: ingest, store, serve.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the HTTP API and the MQTT ingest worker")
    serve.add_argument("--config", type=Path, help="TOML config file (default: environment)")
    serve.add_argument(
        "--log-format", choices=LOG_FORMATS,
        help="text lines or one JSON object per line (default: the log_format setting)",
    )  # fmt: skip

    init = sub.add_parser("init-config", help="write an example hub.toml")
    init.add_argument("path", nargs="?", type=Path, default=Path("hub.toml"))
    init.add_argument("--force", action="store_true", help="overwrite an existing file")

    device = sub.add_parser("device", help="register and list devices")
    dsub = device.add_subparsers(dest="device_command", required=True, metavar="ACTION")
    add = dsub.add_parser("add", help="register a device and its public key")
    add.add_argument("--id", required=True, dest="device_id", help="device id")
    add.add_argument("--public-key", required=True, type=Path, help="PEM or base64 public key")
    add.add_argument("--checkpoint", required=True, help="checkpoint id")
    add.add_argument("--lane", required=True, help="lane id")
    _db_options(add)
    lst = dsub.add_parser("list", help="list registered devices")
    lst.add_argument("--json", action="store_true", help="JSON instead of a table")
    _db_options(lst)
    device_cli.add_device_actions(dsub, _config_option)
    device_cli.add_broker_commands(sub, _config_option)
    queue_cli.add_commands(sub, _db_options)
    notify_cli.add_commands(sub, _db_options)
    cert_cli.add_commands(sub, _config_option)
    db_cli.add_commands(sub, _db_options)
    return parser


def _config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="TOML config file (default: environment)")


def _db_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--db", type=Path, help="database file")
    group.add_argument("--config", type=Path, help="take db_path from this TOML config")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``shekara-hub`` console script."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "serve":
            return _serve(load_settings(args.config), args.log_format)
        if args.command == "init-config":
            return _init_config(args.path, args.force)
        if args.command in ("queue", "user"):
            return queue_cli.run(args, _db_path)
        if args.command == "carrier":
            return notify_cli.run(args, _db_path)
        if args.command == "db":
            return db_cli.run(args, _db_path)
        if args.command == "cert":
            return cert_cli.run(args, lambda a: load_settings(a.config))
        if args.command == "broker" or args.device_command in device_cli.ACTIONS:
            return device_cli.run(args, lambda a: load_settings(a.config))
        if args.device_command == "add":
            return _device_add(args)
        return _device_list(args)
    except ShekaraError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _db_path(args: argparse.Namespace) -> Path:
    if args.db is not None:
        return Path(args.db)
    return load_settings(args.config).db_path


def _device_add(args: argparse.Namespace) -> int:
    from hub.lifecycle import DeviceAdmin
    from hub.store import Store

    Address(args.checkpoint, args.lane, args.device_id)  # the topic segments must be valid
    key = load_public_key(args.public_key)
    settings = load_settings(args.config) if args.db is None else None
    with Store(settings.db_path if settings else Path(args.db)) as store:
        device = store.add_device(args.device_id, key, args.checkpoint, args.lane)
        DeviceAdmin(store, settings).added(device, f"cli:{getpass.getuser()}")
    print(f"added {device.device_id} at {device.checkpoint}/{device.lane}, key id {device.key_id}")
    return 0


def _device_list(args: argparse.Namespace) -> int:
    from hub.api.schemas import DeviceOut
    from hub.store import Store

    with Store(_db_path(args)) as store:
        devices = [DeviceOut.of(d) for d in store.list_devices()]
    if args.json:
        print(json.dumps([d.model_dump() for d in devices], indent=2))
        return 0
    columns = (
        "device_id",
        "checkpoint",
        "lane",
        "key_id",
        "state",
        "last_seq",
        "stored",
        "missing",
    )
    rows = [columns] + [tuple(str(getattr(d, c)) for c in columns) for d in devices]
    widths = [max(len(r[i]) for r in rows) for i in range(len(columns))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return 0


def _init_config(path: Path, force: bool) -> int:
    if path.exists() and not force:
        raise ConfigError(f"{path} exists; pass --force to overwrite it")
    path.write_text(EXAMPLE_TOML)
    print(f"wrote {path}")
    return 0


def _serve(settings: HubSettings, log_format: LogFormat | None = None) -> int:
    import uvicorn

    from hub.app import create_app
    from hub.store import Store

    setup_logging(settings.log_level, log_format or settings.log_format)
    # Open the database once here so a bad file is a one-line error, not a
    # traceback from inside the server's startup.
    Store(settings.db_path, settings.sqlite_synchronous).close()
    config = uvicorn.Config(
        create_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        log_level=settings.log_level.lower(),
        lifespan="on",
    )
    log.info(
        "hub listening on http://%s:%d%s, database %s",
        settings.http_host,
        settings.http_port,
        "" if settings.env == "production" else " (API docs at /docs)",
        settings.db_path,
    )
    server = uvicorn.Server(config)
    # uvicorn shuts down gracefully on SIGTERM and then raises the signal again under
    # the handler that was there before; with this one, that ends in exit status 0.
    signal.signal(signal.SIGTERM, _exit_zero)
    server.run()
    return 0 if server.started else 1


def _exit_zero(signum: int, frame: object) -> None:
    raise SystemExit(0)
