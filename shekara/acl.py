"""The broker's access control list, derived from the wire contract and the registry.

Mosquitto's ``acl_file`` format (mosquitto.conf(5)): a ``user <name>`` line, then the
``topic <read|write|readwrite> <filter>`` lines that name may use.  With
``use_identity_as_username`` the name is the client certificate's common name, so a
device can write only its own ``events``, ``status`` and ``evidence`` topics at the
lane it is registered for, and read only its own ``commands``.  A hub reads its
checkpoint's device channels and writes their ``commands``.  Anything not granted is
denied: a revoked device is simply left out.
"""

from __future__ import annotations

from collections.abc import Iterable

from shekara import wire

DEVICE_WRITES = (wire.Channel.EVENTS, wire.Channel.STATUS, wire.Channel.EVIDENCE)
HUB_READS = DEVICE_WRITES


def device_rules(address: wire.Address) -> list[str]:
    """The grants of one registered, unrevoked device."""
    return [
        f"user {address.device}",
        *(f"topic write {address.topic(channel)}" for channel in DEVICE_WRITES),
        f"topic read {address.topic(wire.Channel.COMMANDS)}",
    ]


def hub_rules(name: str, checkpoint: str | None) -> list[str]:
    """The grants of a hub serving ``checkpoint`` (every checkpoint when None)."""
    if not name or any(c.isspace() for c in name):
        raise ValueError(f"a broker user name has no spaces and is not empty: {name!r}")
    where = checkpoint or "+"
    return [
        f"user {name}",
        *(f"topic read {wire.subscription(channel, where)}" for channel in HUB_READS),
        f"topic write {wire.subscription(wire.Channel.COMMANDS, where)}",
    ]


def render(hubs: Iterable[tuple[str, str | None]], devices: Iterable[wire.Address]) -> str:
    """The whole ACL file: hubs first, then devices in id order."""
    blocks = [hub_rules(name, checkpoint) for name, checkpoint in hubs]
    blocks += [device_rules(a) for a in sorted(devices, key=lambda a: a.device)]
    header = "# Written by shekara-hub from its device registry; edits here are overwritten.\n"
    return header + "\n".join("\n".join(block) + "\n" for block in blocks)
