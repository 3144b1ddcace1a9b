"""Device key rotation on the edge: ``shekara-edge rotate-key`` and the agent's switch.

``rotate-key`` writes a new key beside the current one as ``<key_file>.next``.  The
running agent notices it at its next heartbeat (or at start), commits a
``device.key_rotated`` event signed by the old key (:meth:`edge.outbox.Outbox.rotate`)
and then moves the new key into ``key_file``.  Events already in the outbox keep their
old-key signatures and still verify at the hub, which knows from the chain where each
key begins (:mod:`shekara.wire`, "Key rotation"): that is the overlap, and it has no
deadline.

The order makes a crash harmless: the rotation is committed before the files move,
and at start an outbox whose ``rotated_to`` names the ``.next`` key only finishes the
move.  The old private key is deleted once replaced; it can sign nothing the hub
would still accept past the rotation.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge.outbox import Outbox
from shekara.keys import key_id, load_private_key, public_path, write_keypair

log = logging.getLogger(__name__)


def next_key_path(key_file: Path) -> Path:
    """Where ``rotate-key`` leaves the key the agent is to switch to."""
    return key_file.with_name(key_file.name + ".next")


def prepare(key_file: Path) -> Ed25519PrivateKey:
    """Write the next key (0600) for the agent to switch to; refuses if one is waiting."""
    return write_keypair(next_key_path(key_file))


def switch_if_due(key_file: Path, outbox: Outbox) -> Ed25519PrivateKey | None:
    """Rotate to a waiting ``.next`` key; return the key now signing, or None if none waits."""
    waiting = next_key_path(key_file)
    if not waiting.exists():
        return None
    new_key = load_private_key(waiting)
    if outbox.rotated_to != key_id(new_key.public_key()):
        outbox.rotate(new_key)
    else:
        outbox.key = new_key  # committed before a crash; only the files are left
    os.replace(waiting, key_file)
    if public_path(waiting).exists():  # a crash may have come between the two moves
        os.replace(public_path(waiting), public_path(key_file))
    log.warning("signing key of %s is now %s", outbox.address.device, key_id(new_key.public_key()))
    return new_key
