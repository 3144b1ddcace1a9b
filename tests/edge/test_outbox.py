"""The outbox chains, signs and keeps events on a real SQLite file, and a full disk
neither corrupts it nor breaks its chain."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from disk_helpers import Ballast, small_disk
from outbox_helpers import check_chain_file, head_on_disk

from edge.outbox import Outbox, OutboxUnavailable
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


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs to fill up (skips where it cannot be mounted)."""
    with small_disk(tmp_path / "disk", "4m") as folder:
        yield folder


def test_a_full_disk_never_parts_an_event_from_the_chain_head(
    disk: Path, device_key: Ed25519PrivateKey
) -> None:
    # The disk fills up at every possible point of a write (a page more room each
    # round): each time the outbox refuses, with nothing half-written, and once space
    # is back it goes on from the same head.  Before the explicit transactions, the row
    # could stay while the head was lost, and every later append hit that row's seq.
    ballast = Ballast(disk / "ballast")
    for round_ in range(16):
        for old in disk.glob("o.db*"):
            old.unlink()
        outbox = Outbox(disk / "o.db", device_key, ADDR)
        _append(outbox, 3)
        ballast.fill(leave=round_ * 4096)
        with pytest.raises(OutboxUnavailable, match="database or disk is full"):
            for _ in range(500):
                _append(outbox, 1)
        assert head_on_disk(disk / "o.db") == (outbox.last_seq, outbox.last_seq)
        ballast.release()
        after = outbox.append("device.status", STATUS, wire.utc_timestamp())
        assert after["seq"] == outbox.last_seq
        outbox.close()
        assert check_chain_file(disk / "o.db", device_key.public_key()) == after["seq"]
        reopened = Outbox(disk / "o.db", device_key, ADDR)
        assert reopened.append("device.status", STATUS, wire.utc_timestamp())["seq"] == (
            after["seq"] + 1
        )
        reopened.close()


def test_acknowledgements_the_disk_refuses_are_written_with_the_next_ones(
    disk: Path, device_key: Ed25519PrivateKey, caplog: pytest.LogCaptureFixture
) -> None:
    outbox = Outbox(disk / "o.db", device_key, ADDR)
    _append(outbox, 5)
    ballast = Ballast(disk / "ballast")
    ballast.fill()
    with caplog.at_level(logging.WARNING, logger="edge.outbox"):
        outbox.mark_acked([1, 2, 3])  # the publisher's thread: it must not raise
    assert "keeping 3 acknowledgements in memory" in caplog.text
    assert outbox.depth() == 5, "nothing moved: still unacknowledged on disk"
    ballast.release()
    outbox.mark_acked([4])
    assert [p.seq for p in outbox.pending(0, 10)] == [5]
    assert [p.seq for p in outbox.lookup(1, 5, 10)] == [1, 2, 3, 4, 5]
    outbox.close()
    assert check_chain_file(disk / "o.db", device_key.public_key()) == 5


def test_a_session_the_disk_refuses_raises_a_clear_error(
    disk: Path, device_key: Ed25519PrivateKey
) -> None:
    outbox = Outbox(disk / "o.db", device_key, ADDR)
    assert outbox.next_session() == 1
    ballast = Ballast(disk / "ballast")
    ballast.fill()
    with pytest.raises(OutboxUnavailable, match="cannot start a session"):
        for _ in range(200):
            outbox.next_session()
    ballast.release()
    assert outbox.next_session() == int(outbox._state("session", "0"))


def test_an_outbox_opened_on_a_full_disk_says_so_and_opens_later_intact(
    disk: Path, device_key: Ed25519PrivateKey
) -> None:
    first = Outbox(disk / "o.db", device_key, ADDR)
    _append(first, 2)
    first.close()
    ballast = Ballast(disk / "ballast")
    ballast.fill()
    with pytest.raises(OutboxUnavailable, match=r"o\.db cannot be opened: disk I/O error"):
        Outbox(disk / "o.db", device_key, ADDR)
    ballast.release()
    again = Outbox(disk / "o.db", device_key, ADDR)
    assert again.append("device.status", STATUS, wire.utc_timestamp())["seq"] == 3
    again.close()
    assert check_chain_file(disk / "o.db", device_key.public_key()) == 3
