"""``shekara-pki``: the checkpoint's broker PKI, one command per artefact.

    shekara-pki ca --dir /etc/shekara/pki --name "Temirbaba checkpoint CA"
    shekara-pki server --dir /etc/shekara/pki --host broker.temirbaba.local --host 10.0.0.2
    shekara-pki device tmb-entry-1 --dir /etc/shekara/pki
    shekara-pki hub shekara-hub-temirbaba --dir /etc/shekara/pki
    shekara-pki revoke /etc/shekara/pki/clients/tmb-entry-1.crt --reason "camera stolen"
    shekara-pki crl --dir /etc/shekara/pki          # re-sign monthly (cron)

The layout of the folder is described in :mod:`shekara.pki`.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from shekara import pki, wire
from shekara.errors import ConfigError, WireError

log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    """The ``shekara-pki`` command line."""
    parser = argparse.ArgumentParser(prog="shekara-pki", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def folder(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--dir", type=Path, default=Path("pki"), help="the PKI folder (default ./pki)"
        )

    ca = sub.add_parser("ca", help="create the checkpoint CA (ca.crt, ca.key, an empty crl.pem)")
    ca.add_argument("--name", default="Shekara checkpoint CA", help="the CA's common name")
    ca.add_argument("--days", type=int, default=pki.CA_DAYS, help="validity in days")
    folder(ca)
    server = sub.add_parser("server", help="the broker's TLS server certificate")
    server.add_argument("--host", action="append", required=True,
                        help="a DNS name or IP clients connect to (repeatable)")  # fmt: skip
    server.add_argument("--days", type=int, default=pki.SERVER_DAYS, help="validity in days")
    folder(server)
    for kind, what in (("device", "an edge device"), ("hub", "a hub")):
        client = sub.add_parser(kind, help=f"a TLS client certificate for {what}")
        client.add_argument("name", help=f"{what}'s id: the broker's user name for its ACL")
        client.add_argument("--days", type=int, default=pki.CLIENT_DAYS, help="validity in days")
        folder(client)
    revoke = sub.add_parser("revoke", help="revoke a client certificate and re-sign crl.pem")
    revoke.add_argument("cert", type=Path, help="the certificate file to revoke")
    revoke.add_argument("--reason", required=True, help="why (kept in revoked.json)")
    folder(revoke)
    crl = sub.add_parser("crl", help="re-sign crl.pem (it is valid for 30 days)")
    folder(crl)
    return parser


def _ca(args: argparse.Namespace) -> str:
    pki.create_authority(args.dir, args.name, args.days)
    return f"CA {args.name!r}: {args.dir / 'ca.crt'} (keep ca.key offline)"


def _issue(args: argparse.Namespace) -> str:
    if args.command == "server":
        path = pki.issue_files(args.dir, args.host[0], server_hosts=list(args.host), days=args.days)
    else:
        wire.Address("x", "x", args.name)  # the name is a topic segment: same rules
        path = pki.issue_files(args.dir, args.name, days=args.days)
    return f"{path}  sha256 {pki.fingerprint(pki.load_cert(path))}"


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``shekara-pki``."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    try:
        if args.command == "ca":
            print(_ca(args))
        elif args.command in ("server", "device", "hub"):
            print(_issue(args))
        elif args.command == "revoke":
            path = pki.revoke(args.dir, pki.load_cert(args.cert), args.reason)
            print(f"revoked; {path} re-signed: reload the broker (SIGHUP) to apply it")
        else:
            print(pki.write_crl(args.dir, pki.load_authority(args.dir)))
    except (ConfigError, WireError) as exc:
        print(f"shekara-pki: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
