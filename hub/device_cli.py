"""``shekara-hub device revoke|audit|enrolments|approve|reject`` and ``broker acl``."""

from __future__ import annotations

import argparse
import getpass
import json
from collections.abc import Callable
from dataclasses import asdict

from hub.config import HubSettings
from hub.enrolment import EnrolmentDesk
from hub.lifecycle import DeviceAdmin
from hub.store import Store
from hub.store.device_sql import DeviceTables


def add_device_actions(
    dsub: argparse._SubParsersAction,  # type: ignore[type-arg]
    config_option: Callable[[argparse.ArgumentParser], None],
) -> None:
    """Register ``revoke`` and ``audit`` under ``device``."""
    revoke = dsub.add_parser(
        "revoke", help="revoke a device for good: dead-letter its events, drop it from the ACL"
    )
    revoke.add_argument("device_id", help="device id")
    revoke.add_argument("--reason", required=True, help="why (kept in the audit log)")
    config_option(revoke)
    pending = dsub.add_parser("enrolments", help="list enrolment requests (newest first)")
    pending.add_argument(
        "--state", choices=("pending", "approved", "rejected"), help="only requests in this state"
    )
    config_option(pending)
    approve = dsub.add_parser(
        "approve", help="enrol the device whose screen shows CODE: register it, issue its cert"
    )
    approve.add_argument("code", help="enrolment code, e.g. 7K3QP-M2X9D")
    config_option(approve)
    reject = dsub.add_parser("reject", help="refuse an enrolment request")
    reject.add_argument("code", help="enrolment code")
    reject.add_argument("--reason", required=True, help="why (the device is told)")
    config_option(reject)
    audit = dsub.add_parser("audit", help="print the device lifecycle audit log (JSON lines)")
    audit.add_argument("--after", type=int, default=0, help="entries after this id")
    config_option(audit)


def add_broker_commands(
    sub: argparse._SubParsersAction,  # type: ignore[type-arg]
    config_option: Callable[[argparse.ArgumentParser], None],
) -> None:
    """Register ``broker`` under the hub's subcommands."""
    broker = sub.add_parser("broker", help="the MQTT broker's view of the devices")
    bsub = broker.add_subparsers(dest="broker_command", required=True, metavar="ACTION")
    acl = bsub.add_parser(
        "acl", help="print the Mosquitto ACL for the registry (--write: to broker_acl_file, reload)"
    )
    acl.add_argument("--write", action="store_true", help="write broker_acl_file and reload")
    config_option(acl)


ENROLMENT_ACTIONS = ("enrolments", "approve", "reject")
ACTIONS = ("revoke", "audit", *ENROLMENT_ACTIONS)  # the ``device`` actions run here


def _enrolment(args: argparse.Namespace, desk: EnrolmentDesk) -> int:
    actor = f"cli:{getpass.getuser()}"
    if args.device_command == "enrolments":
        for e in desk.tables.list(args.state):
            print(f"{e.code}  {e.state:<8}  {e.device_id} at {e.checkpoint}/{e.lane}  "
                  f"asked {e.requested_at} from {e.requested_from}")  # fmt: skip
        return 0
    if args.device_command == "reject":
        done = desk.reject(args.code, actor, args.reason)
        print(f"rejected {done.code} ({done.device_id})")
        return 0
    done = desk.approve(args.code, actor)
    print(f"enrolled {done.device_id} at {done.checkpoint}/{done.lane}")
    missing = f"none: no ca.key in pki_dir; issue one with shekara-pki device {done.device_id}"
    print(f"certificate fingerprint: {done.fingerprint or missing}")
    return 0


def run(args: argparse.Namespace, settings: Callable[[argparse.Namespace], HubSettings]) -> int:
    """Run ``device revoke|audit`` or ``broker acl``."""
    hub = settings(args)
    with Store(hub.db_path) as store:
        admin = DeviceAdmin(store, hub)
        if args.command == "broker":
            if args.write:
                print(f"wrote {admin.publish_acl() or '(broker_acl_file is not set)'}")
            else:
                print(admin.acl_text(), end="")
            return 0
        if args.device_command == "audit":
            for entry in DeviceTables(store).audit_log(args.after, limit=1_000_000):
                print(json.dumps(asdict(entry), ensure_ascii=False))
            return 0
        if args.device_command in ENROLMENT_ACTIONS:
            return _enrolment(args, EnrolmentDesk(store, hub))
        revoked = admin.revoke(args.device_id, args.reason, f"cli:{getpass.getuser()}")
    print(f"revoked {revoked.device_id} at {revoked.revoked_at}")
    return 0
