"""``shekara-hub carrier ...``: API tokens for carriers that submit notifications."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from hub.notify.desk import new_token, token_hash
from hub.store import Store
from hub.store.notify_sql import NotifyStore
from shekara.errors import ConfigError
from shekara.wire import utc_timestamp


def add_commands(
    sub: argparse._SubParsersAction,  # type: ignore[type-arg]
    db_options: Callable[[argparse.ArgumentParser], None],
) -> None:
    """Register ``carrier`` under the hub's subcommands."""
    carrier = sub.add_parser("carrier", help="carriers' API tokens for notifications")
    csub = carrier.add_subparsers(dest="carrier_command", required=True, metavar="ACTION")
    token = csub.add_parser("token", help="issue a new API token (printed once, stored hashed)")
    token.add_argument("carrier", help="carrier id, e.g. its customs registration number")
    db_options(token)
    revoke = csub.add_parser("revoke", help="revoke every token of a carrier")
    revoke.add_argument("carrier")
    db_options(revoke)


def run(args: argparse.Namespace, db_path: Callable[[argparse.Namespace], Path]) -> int:
    """Run a ``carrier`` command."""
    carrier = args.carrier.strip()
    if not 2 <= len(carrier) <= 60:
        raise ConfigError("a carrier id has 2 to 60 characters")
    now = utc_timestamp(datetime.now(UTC))
    with Store(db_path(args)) as store:
        notify = NotifyStore(store)
        if args.carrier_command == "revoke":
            print(f"{notify.revoke_tokens(carrier, now)} token(s) of {carrier} revoked")
            return 0
        token = new_token()
        notify.add_token(token_hash(token), carrier, now)
    print(token)
    return 0
