"""``shekara-edge``: run the agent, enrol, make or rotate a key, scan images, check a config."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from shekara import __version__
from shekara.errors import ShekaraError
from shekara.keys import key_id, public_key_b64, public_path, write_keypair
from shekara.logs import LOG_FORMATS, setup_logging

log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used by the docs test)."""
    parser = argparse.ArgumentParser(
        prog="shekara-edge", description="Shekara edge agent for a lane or zone camera."
    )
    parser.add_argument("--version", action="version", version=f"shekara-edge {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="read frames, sign events, publish them over MQTT")
    run.add_argument("--config", type=Path, required=True, help="device config (TOML)")
    run.add_argument(
        "--until-drained",
        action="store_true",
        help="exit once a file source has ended and every event is acknowledged",
    )
    run.add_argument(
        "--log-format", choices=LOG_FORMATS, default="text",
        help="text lines (default) or one JSON object per line (journald, log shippers)",
    )  # fmt: skip

    keygen = sub.add_parser("keygen", help="write an Ed25519 device key pair")
    keygen.add_argument("--out", type=Path, required=True, help="private key path (mode 0600)")
    keygen.add_argument("--force", action="store_true", help="overwrite an existing key")

    enrol = sub.add_parser(
        "enrol", help="make the device's keys, ask the hub to enrol it, wait for the operator"
    )
    enrol.add_argument("--config", type=Path, required=True, help="device config (TOML)")
    enrol.add_argument("--hub", required=True, help="hub base URL, e.g. https://hub.local:8000")
    enrol.add_argument("--hub-ca", type=Path, help="CA file to trust for the hub's HTTPS")
    enrol.add_argument(
        "--wait", type=float, default=600, help="seconds to wait for the decision (default 600)"
    )
    enrol.add_argument("--poll", type=float, default=5, help="seconds between polls (default 5)")

    rotate = sub.add_parser(
        "rotate-key", help="make a new signing key; the running agent switches to it"
    )
    rotate.add_argument("--config", type=Path, required=True, help="device config (TOML)")

    scan = sub.add_parser("scan", help="read barcodes and licence plates in image files")
    scan.add_argument("images", nargs="+", help="image files")
    scan.add_argument("--json", action="store_true", help="one JSON object per read per line")
    scan.add_argument(
        "--no-plates", action="store_true", help="barcodes only (skips loading the plate models)"
    )

    config = sub.add_parser("config", help="configuration tools")
    config_sub = config.add_subparsers(dest="config_command", required=True, metavar="ACTION")
    check = config_sub.add_parser("check", help="validate a device config file")
    check.add_argument("file", type=Path, help="device config (TOML)")
    config_sub.add_parser(
        "docs", help="print the device config reference (docs/firmware_configs.md) as Markdown"
    )
    return parser


def _run(args: argparse.Namespace) -> int:
    from edge.agent import Agent
    from edge.config import load_config

    agent = Agent(load_config(args.config))
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %d: stopping", signum)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    agent.run(stop, until_drained=args.until_drained)
    return 0


def _keygen(args: argparse.Namespace) -> int:
    key = write_keypair(args.out, overwrite=args.force)
    pub = key.public_key()
    print(f"private key: {args.out} (mode 0600)")
    print(f"public key:  {public_path(args.out)}")
    print(f"key id:      {key_id(pub)}")
    print(f"public key (base64): {public_key_b64(pub)}")
    return 0


def _enrol(args: argparse.Namespace) -> int:
    from edge import enrol_client
    from edge.config import load_config

    client = enrol_client.HubClient(args.hub, args.hub_ca)
    return enrol_client.run(load_config(args.config), client, wait_s=args.wait, poll_s=args.poll)


def _rotate_key(args: argparse.Namespace) -> int:
    from edge import rotation
    from edge.config import load_config

    config = load_config(args.config)
    key = rotation.prepare(config.key_file)
    print(f"new key: {rotation.next_key_path(config.key_file)} (key id {key_id(key.public_key())})")
    print(f"the running agent signs with it from its next heartbeat "
          f"(within {config.status.heartbeat_s:g} s), or at its next start")  # fmt: skip
    return 0


def _scan(args: argparse.Namespace) -> int:
    from edge.scan import run_scan

    return run_scan(args.images, as_json=args.json, plates=not args.no_plates)


def _config(args: argparse.Namespace) -> int:
    if args.config_command == "docs":
        from edge.config_doc import render

        sys.stdout.write(render())
        return 0
    return _config_check(args)


def _config_check(args: argparse.Namespace) -> int:
    from edge.config import load_config

    config = load_config(args.file)
    print(
        f"{args.file}: ok ({config.device_id} at {config.checkpoint}/{config.lane}, {config.role})"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``shekara-edge``."""
    args = build_parser().parse_args(argv)
    setup_logging(
        logging.DEBUG if args.verbose else logging.INFO, getattr(args, "log_format", "text")
    )
    handlers = {
        "run": _run, "keygen": _keygen, "enrol": _enrol, "rotate-key": _rotate_key,
        "scan": _scan, "config": _config,
    }  # fmt: skip
    try:
        return handlers[args.command](args)
    except ShekaraError as exc:
        print(f"shekara-edge: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
