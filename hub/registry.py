"""The registered devices as the pipeline needs them: key, place, chain, presence.

Loaded from the store at start and kept in memory so that an event costs no SELECT;
a device registered later (``shekara-hub device add`` writes the same database) is
read on its first message.  Revocations are read again at most every
:data:`REVOCATION_CHECK_S` seconds, so one made by the CLI in another process takes
effect within that time; one made through this hub takes effect at once.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from hub.ledger import Ledger
from hub.outcome import Reason, Rejected
from hub.store import Device, Store
from hub.store.device_sql import DeviceTables, Revocation
from shekara import wire
from shekara.errors import BadSignature
from shekara.keys import public_key_from_b64

REVOCATION_CHECK_S = 2.0


@dataclass(slots=True)
class KnownDevice:
    """A registered device, with its chain position and presence order."""

    device_id: str
    checkpoint: str
    lane: str
    key_id: str
    public_key: Ed25519PublicKey
    ledger: Ledger
    presence: tuple[int, int] | None  # (session, 0 online / 1 offline): the order of presence

    @classmethod
    def of(cls, device: Device) -> KnownDevice:
        """From the stored record."""
        presence = None
        if device.session is not None:
            presence = (device.session, 0 if device.online else 1)
        return cls(
            device_id=device.device_id,
            checkpoint=device.checkpoint,
            lane=device.lane,
            key_id=device.key_id,
            public_key=public_key_from_b64(device.public_key_b64),
            ledger=Ledger(device.last_seq, device.last_hash, list(device.gaps)),
            presence=presence,
        )

    @property
    def address(self) -> wire.Address:
        """Where the device is registered."""
        return wire.Address(self.checkpoint, self.lane, self.device_id)

    def verify(self, domain: bytes, data: dict[str, Any]) -> bytes:
        """Check the signature; return the signing input (the chain hash covers it too).

        The same checks as :func:`shekara.wire.verify`, which would encode the message
        canonically a second time for the hash.
        """
        if data.get("key_id") != self.key_id:
            raise BadSignature(
                f"key_id {data.get('key_id')!r} is not the registered key {self.key_id}"
            )
        signed = wire.signing_input(domain, data)
        try:
            self.public_key.verify(base64.b64decode(str(data["sig"]), validate=True), signed)
        except (binascii.Error, InvalidSignature):
            raise BadSignature(
                "Ed25519 signature does not verify over the canonical bytes"
            ) from None
        return signed


class Registry:
    """The in-memory view of the devices table."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lifecycle = DeviceTables(store)
        self._devices: dict[str, KnownDevice] = {}
        self._revoked: dict[str, Revocation] = {}
        self._revoked_read = 0.0
        self.reload()

    def reload(self) -> None:
        """Forget everything and read every device back from the store."""
        self._devices = {d.device_id: KnownDevice.of(d) for d in self.store.list_devices()}
        self.reread_revocations()

    def reread_revocations(self) -> None:
        """Read the revoked devices now (after a revocation made through this hub)."""
        self._revoked = self._lifecycle.revocations()
        self._revoked_read = time.monotonic()

    def revocation(self, device_id: str) -> Revocation | None:
        """The device's revocation, as of at most :data:`REVOCATION_CHECK_S` ago."""
        if time.monotonic() - self._revoked_read > REVOCATION_CHECK_S:
            self.reread_revocations()
        return self._revoked.get(device_id)

    def __iter__(self) -> Iterator[KnownDevice]:
        return iter(list(self._devices.values()))

    def lookup(self, topic: wire.Address, claimed: wire.Address) -> KnownDevice:
        """The device a message on ``topic`` claiming to be ``claimed`` comes from.

        Raises :class:`Rejected` (topic_mismatch, unknown_device, wrong_lane).
        """
        if claimed != topic:
            raise Rejected(
                Reason.TOPIC_MISMATCH,
                f"message is from {claimed.checkpoint}/{claimed.lane}/{claimed.device} "
                f"but was published on {topic.checkpoint}/{topic.lane}/{topic.device}",
            )
        known = self._devices.get(topic.device)
        if known is None:
            device = self.store.get_device(topic.device)
            if device is None:
                raise Rejected(Reason.UNKNOWN_DEVICE, f"device {topic.device!r} is not registered")
            known = self._devices[device.device_id] = KnownDevice.of(device)
        if revoked := self.revocation(known.device_id):
            raise Rejected(
                Reason.DEVICE_REVOKED,
                f"device {known.device_id!r} was revoked at {revoked.revoked_at} by "
                f"{revoked.actor}: {revoked.reason}",
            )
        if (known.checkpoint, known.lane) != (topic.checkpoint, topic.lane):
            raise Rejected(
                Reason.WRONG_LANE,
                f"device {known.device_id!r} is registered at {known.checkpoint}/{known.lane}, "
                f"not {topic.checkpoint}/{topic.lane}",
            )
        return known
