"""The registered devices as the pipeline needs them: keys, place, chain, presence.

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
from hub.store import Device, DeviceKey, Store
from hub.store.device_sql import DeviceTables, Revocation
from shekara import wire
from shekara.errors import BadSignature
from shekara.keys import public_key_from_b64

REVOCATION_CHECK_S = 2.0


@dataclass(frozen=True, slots=True)
class SigningKey:
    """A device key and the first seq it signs."""

    key_id: str
    public_key: Ed25519PublicKey
    from_seq: int


@dataclass(slots=True)
class KnownDevice:
    """A registered device, with its chain position and presence order."""

    device_id: str
    checkpoint: str
    lane: str
    keys: list[SigningKey]  # by from_seq; the last one signs from now on
    ledger: Ledger
    presence: tuple[int, int] | None  # (session, 0 online / 1 offline): the order of presence

    @classmethod
    def of(cls, device: Device, keys: list[DeviceKey] | None = None) -> KnownDevice:
        """From the stored record and the device's keys (its registered key alone if none)."""
        presence = None
        if device.session is not None:
            presence = (device.session, 0 if device.online else 1)
        stored = keys or [
            DeviceKey(device.device_id, device.key_id, device.public_key_b64, 1, device.added_at)
        ]
        signing = [SigningKey(k.key_id, public_key_from_b64(k.public_key_b64), k.from_seq)
                   for k in stored]  # fmt: skip
        return cls(
            device_id=device.device_id,
            checkpoint=device.checkpoint,
            lane=device.lane,
            keys=signing,
            ledger=Ledger(device.last_seq, device.last_hash, list(device.gaps)),
            presence=presence,
        )

    @property
    def address(self) -> wire.Address:
        """Where the device is registered."""
        return wire.Address(self.checkpoint, self.lane, self.device_id)

    @property
    def key_id(self) -> str:
        """The key the device signs with now."""
        return self.keys[-1].key_id

    def key_at(self, seq: int) -> SigningKey:
        """The key that signs ``seq``: the last one whose ``from_seq`` is at most ``seq``."""
        found = self.keys[0]
        for key in self.keys:
            if key.from_seq <= seq:
                found = key
        return found

    def verify(self, domain: bytes, data: dict[str, Any], seq: int) -> bytes:
        """Check the signature of the message at ``seq``; return its signing input.

        The same checks as :func:`shekara.wire.verify`, which would encode the message
        canonically a second time for the hash.  Each key verifies only its own part
        of the chain, so an old key cannot sign past the rotation that retired it.
        """
        key = self.key_at(seq)
        if data.get("key_id") != key.key_id:
            raise BadSignature(
                f"key_id {data.get('key_id')!r} is not the registered key {key.key_id} "
                f"(the one that signs seq {seq})"
            )
        signed = wire.signing_input(domain, data)
        try:
            key.public_key.verify(base64.b64decode(str(data["sig"]), validate=True), signed)
        except (binascii.Error, InvalidSignature):
            raise BadSignature(
                "Ed25519 signature does not verify over the canonical bytes"
            ) from None
        return signed

    def rotate(self, body: dict[str, Any], seq: int) -> SigningKey:
        """Take the new key of a verified ``device.key_rotated`` event at ``seq``."""
        if seq < self.keys[-1].from_seq:
            raise BadSignature(
                f"key rotation at seq {seq} is older than the current key (from seq "
                f"{self.keys[-1].from_seq})"
            )
        public = wire.verify_rotation(body, self.device_id, seq, self.key_at(seq).key_id)
        if any(k.key_id == body["key_id"] for k in self.keys):
            raise BadSignature(f"key rotation: key {body['key_id']} was used before")
        key = SigningKey(str(body["key_id"]), public, seq + 1)
        self.keys.append(key)
        return key


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
        keys = self._lifecycle.keys()
        self._devices = {
            d.device_id: KnownDevice.of(d, keys.get(d.device_id)) for d in self.store.list_devices()
        }
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
            keys = self._lifecycle.keys().get(device.device_id)
            known = self._devices[device.device_id] = KnownDevice.of(device, keys)
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
