"""``shekara-hub cert ...``: verify a certificate offline, show and make the log's keys.

``cert verify`` opens no connection: the bundle and the public keys given are all it
reads.  It exits 0 and prints each check that passed, or exits 1 and prints
``NOT VERIFIED (<reason>)`` with what exactly failed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from hub.cert import note
from hub.cert.bundle import parse_bundle
from hub.cert.errors import LogError
from hub.cert.setup import signing_key
from hub.cert.verify import verify_bundle
from hub.config import HubSettings
from shekara.errors import ConfigError
from shekara.keys import write_keypair


def add_commands(
    sub: argparse._SubParsersAction,  # type: ignore[type-arg]
    settings_options: Callable[[argparse.ArgumentParser], None],
) -> None:
    """Register ``cert`` under the hub's subcommands."""
    cert = sub.add_parser("cert", help="verify certificates offline; the log's keys")
    csub = cert.add_subparsers(dest="cert_command", required=True, metavar="ACTION")
    verify = csub.add_parser(
        "verify", help="verify a certificate bundle offline with the log's and witnesses' keys"
    )
    verify.add_argument("bundle", help="the bundle JSON file ('-' reads standard input)")
    verify.add_argument(
        "--log-key", required=True,
        help="the issuing log's verifier key (name+id+key), or a file holding it",
    )  # fmt: skip
    verify.add_argument("--witness-key", action="append", default=[],
                        help="a witness whose cosignature is required (repeatable)")  # fmt: skip
    keys = csub.add_parser("keys", help="print this hub's log and witness verifier keys")
    settings_options(keys)
    keygen = csub.add_parser("keygen", help="write a new Ed25519 key file for the log or witness")
    keygen.add_argument("path", type=Path, help="private key file to create (0600)")


def run(args: argparse.Namespace, settings: Callable[[argparse.Namespace], HubSettings]) -> int:
    """Run a ``cert`` command."""
    if args.cert_command == "verify":
        return _verify(args)
    if args.cert_command == "keygen":
        write_keypair(args.path)
        print(f"wrote {args.path} and {args.path}.pub")
        return 0
    hub = settings(args)
    development = hub.env == "development"
    log_key = signing_key(hub.key_file("log"), development)
    witness_key = signing_key(hub.key_file("witness"), development)
    print(f"log      {note.verifier_key(hub.log_origin, log_key.public_key())}")
    print("witness  " + note.verifier_key(hub.witness_name, witness_key.public_key(),
                                          note.COSIGNATURE_V1))  # fmt: skip
    return 0


def _key(text: str) -> note.Verifier:
    path = Path(text)
    if "+" not in text and path.is_file():
        text = path.read_text().strip()
    try:
        return note.parse_verifier_key(text)
    except LogError as exc:
        raise ConfigError(f"not a verifier key: {exc}") from None


def _verify(args: argparse.Namespace) -> int:
    log_key = _key(args.log_key)
    witnesses = [_key(k) for k in args.witness_key]
    if log_key.type != note.ED25519 or any(w.type != note.COSIGNATURE_V1 for w in witnesses):
        raise ConfigError("--log-key takes an Ed25519 (0x01) key, --witness-key cosignature/v1")
    try:
        raw = sys.stdin.buffer.read() if args.bundle == "-" else Path(args.bundle).read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {args.bundle}: {exc.strerror}") from None
    try:
        verified = verify_bundle(parse_bundle(raw), log_key, witnesses)
    except LogError as exc:
        print(f"NOT VERIFIED ({exc.reason}): {exc}", file=sys.stderr)
        return 1
    for check in verified.checks:
        print(f"ok  {check}")
    print(f"VERIFIED certificate {verified.cert_id}: entry {verified.index} of {verified.origin}")
    return 0
