"""Key rotation on the device: the rotation event, the switch, and a crash between them."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge import rotation
from edge.outbox import Outbox
from shekara import wire
from shekara.errors import KeyFileError
from shekara.keys import key_id, load_private_key, load_public_key, public_path, write_keypair

ADDRESS = wire.Address("cp1", "lane1", "cam1")


def events(outbox: Outbox) -> list[dict[str, object]]:
    return [wire.parse_envelope(p.payload)[1] for p in outbox.pending(0, 100)]


def test_the_rotation_event_is_signed_by_the_old_key_and_proves_the_new(tmp_path: Path) -> None:
    old, new = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    outbox = Outbox(tmp_path / "outbox.db", old, ADDRESS)
    outbox.append("device.status", _status(), wire.utc_timestamp())
    outbox.rotate(new)
    outbox.append("device.status", _status(), wire.utc_timestamp())
    first, turn, after = events(outbox)
    wire.verify(wire.EVENT_DOMAIN, turn, old.public_key())
    assert turn["type"] == "device.key_rotated" and turn["prev_hash"] == wire.event_hash(first)
    body = turn["body"]
    assert isinstance(body, dict)
    assert wire.verify_rotation(body, "cam1", 2, key_id(old.public_key())) is not None
    wire.verify(wire.EVENT_DOMAIN, after, new.public_key())
    assert after["prev_hash"] == wire.event_hash(turn)
    outbox.close()
    assert Outbox(tmp_path / "outbox.db", old, ADDRESS).rotated_to == key_id(new.public_key())


def test_switch_moves_the_new_key_in_and_the_old_one_out(tmp_path: Path) -> None:
    key_file = tmp_path / "device.key"
    old = write_keypair(key_file)
    outbox = Outbox(tmp_path / "outbox.db", old, ADDRESS)
    assert rotation.switch_if_due(key_file, outbox) is None
    new = rotation.prepare(key_file)
    with pytest.raises(KeyFileError):
        rotation.prepare(key_file)  # one rotation at a time
    switched = rotation.switch_if_due(key_file, outbox)
    assert switched is not None and key_id(switched.public_key()) == key_id(new.public_key())
    assert key_id(load_private_key(key_file).public_key()) == key_id(new.public_key())
    assert key_id(load_public_key(public_path(key_file))) == key_id(new.public_key())
    assert not rotation.next_key_path(key_file).exists()
    assert key_file.stat().st_mode & 0o077 == 0
    assert [e["type"] for e in events(outbox)] == ["device.key_rotated"]


def test_a_crash_after_the_commit_finishes_the_move_without_a_second_rotation(
    tmp_path: Path,
) -> None:
    key_file = tmp_path / "device.key"
    old = write_keypair(key_file)
    new = rotation.prepare(key_file)
    outbox = Outbox(tmp_path / "outbox.db", old, ADDRESS)
    outbox.rotate(new)  # committed; the power goes before the files move
    outbox.close()
    restarted = Outbox(tmp_path / "outbox.db", load_private_key(key_file), ADDRESS)
    rotation.switch_if_due(key_file, restarted)
    assert restarted.last_seq == 1, "no second rotation event"
    restarted.append("device.status", _status(), wire.utc_timestamp())
    wire.verify(wire.EVENT_DOMAIN, events(restarted)[-1], new.public_key())
    assert key_id(load_private_key(key_file).public_key()) == key_id(new.public_key())


def _status() -> dict[str, object]:
    return {"fps": 1.0, "outbox_depth": 0, "camera": "ok", "software_version": "t",
            "uptime_s": 1}  # fmt: skip
