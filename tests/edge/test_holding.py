"""Events the disk refuses wait in memory, in order, and reach the outbox when it has room."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from agent_helpers import FakeClock
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from disk_helpers import Ballast, small_disk

from edge.holding import Holding
from edge.outbox import Outbox
from shekara import wire

ADDR = wire.Address("temirbaba", "entry-1", "tmb-entry-1")


def _read(text: str) -> tuple[str, dict[str, Any], str]:
    body = {"symbology": "QRCode", "text": text, "raw_b64": "QUJD", "decoder": "zxing-cpp"}
    return (wire.EventType.BARCODE_READ, body, wire.utc_timestamp())


def _texts(outbox: Outbox) -> list[str]:
    return [wire.parse_envelope(p.payload)[0].body["text"] for p in outbox.pending(0, 1000)]


@pytest.fixture
def outbox(tmp_path: Path, device_key: Ed25519PrivateKey) -> Iterator[Outbox]:
    """An outbox on a 4 MiB tmpfs (skips where it cannot be mounted)."""
    with small_disk(tmp_path / "disk", "4m") as folder:
        box = Outbox(folder / "o.db", device_key, ADDR)
        yield box
        box.close()


def test_held_in_order_while_the_disk_is_full_then_written(
    outbox: Outbox, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()
    holding = Holding(outbox, limit=100, retry_s=1.0, clock=clock)
    assert [e["seq"] for e in holding.append([_read("a")])] == [1]
    ballast = Ballast(outbox.path.parent / "ballast")
    ballast.fill()
    with caplog.at_level(logging.WARNING, logger="edge.holding"):
        for text in "bcd":
            assert holding.append([_read(text)]) == []
        assert holding.held == 3
        ballast.release()
        assert holding.flush() == [], "not retried before retry_s"
        clock.advance(1)
        written = holding.flush()
    assert [e["body"]["text"] for e in written] == ["b", "c", "d"]
    assert [e["seq"] for e in written] == [2, 3, 4], "no gap: held events had no seq yet"
    assert holding.held == 0 and holding.dropped == 0
    assert _texts(outbox) == ["a", "b", "c", "d"]
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2, "one error when holding starts, one line when it ends"
    assert "database or disk is full; holding 1 events in memory" in messages[0]
    assert messages[1] == "outbox writable again: 3 held events written"


def test_past_the_limit_the_oldest_are_dropped_and_counted(
    outbox: Outbox, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()
    holding = Holding(outbox, limit=2, clock=clock)
    ballast = Ballast(outbox.path.parent / "ballast")
    ballast.fill()
    with caplog.at_level(logging.ERROR, logger="edge.holding"):
        holding.append([_read(t) for t in "abcd"])
    assert (holding.held, holding.dropped) == (2, 2)
    assert sum("dropped a held barcode.read event" in r.getMessage() for r in caplog.records) == 2
    ballast.release()
    clock.advance(1)
    holding.flush()
    assert _texts(outbox) == ["c", "d"]


def test_an_event_the_contract_refuses_is_dropped_not_blocking_the_rest(
    outbox: Outbox, caplog: pytest.LogCaptureFixture
) -> None:
    holding = Holding(outbox)
    bad = (wire.EventType.BARCODE_READ, {"text": "no symbology"}, wire.utc_timestamp())
    with caplog.at_level(logging.ERROR, logger="edge.holding"):
        written = holding.append([_read("a"), bad, _read("b")])
    assert [e["body"]["text"] for e in written] == ["a", "b"]
    assert (holding.held, holding.dropped) == (0, 1)
    assert "dropped a barcode.read event the outbox refused" in caplog.text
