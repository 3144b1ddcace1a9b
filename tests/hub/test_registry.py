"""Key rotation at the hub: each key verifies its own part of the chain, for ever.

The overlap is the chain itself: events signed by the old key before the rotation
still verify when they arrive late (a resend after an outage), and the old key can
sign nothing after it.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hub_support import SimDevice

from hub.ingest import Ingestor
from hub.outcome import Kind
from hub.store import Store
from hub.store.device_sql import DeviceTables
from shekara import wire
from shekara.keys import key_id
from shekara.wire import encode


def feed(ingestor: Ingestor, device: SimDevice, events: list[dict[str, object]]) -> list[str]:
    return [
        o.reason or o.kind.value
        for o in (ingestor.process(device.topic(), encode(e)) for e in events)
    ]


def test_a_rotation_hands_over_and_is_audited(
    ingestor: Ingestor, device: SimDevice, store: Store
) -> None:
    new_key = Ed25519PrivateKey.generate()
    before = [device.next(), device.next()]
    rotation = device.rotate(new_key)
    after = [device.next(), device.next()]
    assert feed(ingestor, device, [*before, rotation, *after]) == ["stored"] * 5
    assert store.get_device("cam1").key_id == key_id(new_key.public_key())  # type: ignore[union-attr]
    keys = DeviceTables(store).keys()["cam1"]
    assert [(k.key_id, k.from_seq) for k in keys][1] == (key_id(new_key.public_key()), 4)
    (entry,) = DeviceTables(store).audit_log()
    assert (entry.action, entry.detail["from_seq"]) == ("device.key_rotate", 4)


def test_old_key_events_arriving_after_the_rotation_still_verify(
    ingestor: Ingestor, device: SimDevice
) -> None:
    late = [device.next(), device.next()]
    rotation = device.rotate(Ed25519PrivateKey.generate())
    after = device.next()
    # The broker lost seqs 1-2 for a while; they come back by resend after the rotation.
    assert feed(ingestor, device, [rotation, after]) == ["stored", "stored"]
    assert feed(ingestor, device, late) == ["stored", "stored"]


def test_the_old_key_cannot_sign_past_the_rotation(ingestor: Ingestor, device: SimDevice) -> None:
    old_key = device.key
    feed(ingestor, device, [device.next(), device.rotate(Ed25519PrivateKey.generate())])
    stolen = SimDevice(old_key, device.address, seq=device.seq, prev_hash=device.prev_hash)
    outcome = ingestor.process(device.topic(), encode(stolen.next()))
    assert outcome.kind is Kind.DEAD_LETTER and outcome.reason == "bad_signature"
    assert "signs seq 3" in (outcome.detail or "")


def test_the_new_key_cannot_sign_before_the_rotation(ingestor: Ingestor, device: SimDevice) -> None:
    new_key = Ed25519PrivateKey.generate()
    early = SimDevice(new_key, device.address).next()  # seq 1, signed by the new key
    feed(ingestor, device, [device.next(), device.rotate(new_key)])
    assert ingestor.process(device.topic(), encode(early)).reason in ("bad_signature", "replay")


def test_a_rotation_without_a_valid_proof_is_dead_lettered(
    ingestor: Ingestor, device: SimDevice
) -> None:
    new_key = Ed25519PrivateKey.generate()
    body = wire.rotation_body(new_key, "cam1", 2, "0" * 16)  # proof over the wrong old key
    feed(ingestor, device, [device.next()])
    outcome = ingestor.process(
        device.topic(), encode(device.next(wire.EventType.DEVICE_KEY_ROTATED, body))
    )
    assert outcome.reason == "bad_signature" and "proof does not verify" in (outcome.detail or "")
    mismatched = wire.rotation_body(new_key, "cam1", 2, key_id(device.key.public_key()))
    mismatched["key_id"] = "f" * 16
    device.seq, device.prev_hash = 1, wire.event_hash(device.signed[0])  # seq 2 again
    outcome = ingestor.process(
        device.topic(), encode(device.next(wire.EventType.DEVICE_KEY_ROTATED, mismatched))
    )
    assert outcome.reason == "bad_signature" and "not the new key's" in (outcome.detail or "")


def test_rotations_survive_a_restart_and_presence_follows_the_key(
    store: Store, device: SimDevice
) -> None:
    new_key = Ed25519PrivateKey.generate()
    first = Ingestor(store)
    feed(first, device, [device.next(), device.rotate(new_key)])
    restarted = Ingestor(store)  # reads the keys back from device_keys
    assert feed(restarted, device, [device.next()]) == ["stored"]
    assert restarted.process(device.topic(wire.Channel.STATUS), device.presence("online")).kind \
        is Kind.PRESENCE  # fmt: skip


def test_reusing_an_old_key_is_refused(ingestor: Ingestor, device: SimDevice) -> None:
    first_key = device.key
    feed(ingestor, device, [device.next(), device.rotate(Ed25519PrivateKey.generate())])
    outcome = ingestor.process(device.topic(), encode(device.rotate(first_key)))
    assert outcome.reason == "bad_signature" and "used before" in (outcome.detail or "")
