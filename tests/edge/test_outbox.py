"""The outbox chains, signs and keeps events on a real SQLite file."""

from __future__ import annotations

import itertools
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge.outbox import Outbox
from shekara import wire

ADDR = wire.Address("temirbaba", "entry-1", "tmb-entry-1")
STATUS = {"fps": 1.0, "outbox_depth": 0, "camera": "ok", "software_version": "t", "uptime_s": 0}


def _append(outbox: Outbox, n: int) -> list[dict[str, object]]:
    return outbox.append_many([("device.status", STATUS, wire.utc_timestamp())] * n)


def test_events_form_a_signed_hash_chain(tmp_path: Path, device_key: Ed25519PrivateKey) -> None:
    outbox = Outbox(tmp_path / "o.db", device_key, ADDR)
    events = _append(outbox, 3)
    assert [e["seq"] for e in events] == [1, 2, 3]
    assert events[0]["prev_hash"] == wire.GENESIS_HASH
    for prev, cur in itertools.pairwise(events):
        assert cur["prev_hash"] == wire.event_hash(prev)
    for item in outbox.pending(0, 10):
        _, raw = wire.parse_envelope(item.payload)
        wire.verify(wire.EVENT_DOMAIN, raw, device_key.public_key())


def test_seq_and_chain_survive_reopening(tmp_path: Path, device_key: Ed25519PrivateKey) -> None:
    first = Outbox(tmp_path / "o.db", device_key, ADDR)
    before = _append(first, 2)
    first.close()
    second = Outbox(tmp_path / "o.db", device_key, ADDR)
    after = second.append("device.status", STATUS, wire.utc_timestamp())
    assert after["seq"] == 3
    assert after["prev_hash"] == wire.event_hash(before[-1])


def test_acked_events_move_to_sent_and_stay_resendable(
    tmp_path: Path, device_key: Ed25519PrivateKey
) -> None:
    outbox = Outbox(tmp_path / "o.db", device_key, ADDR, keep_sent=3)
    _append(outbox, 6)
    outbox.mark_acked([1, 2, 3, 4, 5])
    assert outbox.depth() == 1
    assert [p.seq for p in outbox.pending(0, 10)] == [6]
    assert outbox.first_pending_seq() == 6
    # keep_sent=3 keeps the newest three acknowledged events, plus the unacked one.
    assert [p.seq for p in outbox.lookup(1, 6, limit=10)] == [3, 4, 5, 6]


def test_pending_respects_cursor_and_limit(tmp_path: Path, device_key: Ed25519PrivateKey) -> None:
    outbox = Outbox(tmp_path / "o.db", device_key, ADDR)
    _append(outbox, 10)
    assert [p.seq for p in outbox.pending(4, 3)] == [5, 6, 7]


def test_session_number_grows_across_restarts(
    tmp_path: Path, device_key: Ed25519PrivateKey
) -> None:
    outbox = Outbox(tmp_path / "o.db", device_key, ADDR)
    assert [outbox.next_session(), outbox.next_session()] == [1, 2]
    outbox.close()
    assert Outbox(tmp_path / "o.db", device_key, ADDR).next_session() == 3


def test_private_key_never_lands_in_the_outbox(
    tmp_path: Path, device_key: Ed25519PrivateKey
) -> None:
    from cryptography.hazmat.primitives import serialization

    outbox = Outbox(tmp_path / "o.db", device_key, ADDR)
    _append(outbox, 1)
    outbox.close()
    raw = device_key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    assert raw not in (tmp_path / "o.db").read_bytes()
