"""The queue journal: a known-answer hash, tamper detection, and out-of-order calls."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta

import pytest
from queue_helpers import START, Clock, book

from hub.queue.journal import (
    GENESIS,
    Entry,
    JournalError,
    body_of,
    entry_hash,
    read_lines,
    verify,
)
from hub.queue.service import QueueService

SLOT = START + timedelta(hours=6)


def test_entry_hash_known_answer() -> None:
    # SHA-256(32 zero bytes || JCS(body)), computed independently with hashlib + json
    # (sort_keys, compact separators: the JCS form for this ASCII-only body).
    body = body_of(1, "2026-11-21T06:00:00.000Z", "capacity", None, {"slots": 3}, {"officer": "x"})
    assert entry_hash(GENESIS, body) == (
        "ece9a5d638bc6ed5899c3a5831e091e26306d0b160dbb1d3d22fc4c40fec03d7"
    )


def _journal(service: QueueService, clock: Clock) -> list[Entry]:
    for i in range(3):
        book(service, f"10{i}ABC02", SLOT)
    clock.now = SLOT
    for i in range(3):
        service.on_passage(f"w{i}", "wait-out", [f"10{i}ABC02"], "KZ", SLOT + timedelta(minutes=i))
    service.call_next("kz-tm", "entry-1", "officer-1")
    return service.store.journal()


def test_an_intact_journal_verifies(service: QueueService, clock: Clock) -> None:
    entries = _journal(service, clock)
    verdict = verify(entries)
    assert (verdict.entries, verdict.calls, verdict.head) == (len(entries), 1, entries[-1].hash)


def test_changing_one_byte_anywhere_breaks_it(service: QueueService, clock: Clock) -> None:
    lines = [json.dumps(e.to_json(), ensure_ascii=False) for e in _journal(service, clock)]
    text = "\n".join(lines)
    for at in range(0, len(text), 97):
        if text[at] in '{}[]":,\n ':
            continue  # a structural byte makes the line unparseable: also an error
        flipped = text[:at] + ("1" if text[at] != "1" else "2") + text[at + 1 :]
        with pytest.raises(JournalError):
            verify(read_lines(flipped.splitlines()))


def test_a_removed_entry_is_found(service: QueueService, clock: Clock) -> None:
    entries = _journal(service, clock)
    with pytest.raises(JournalError, match="expected entry 3"):
        verify(entries[:2] + entries[3:])


def test_a_call_out_of_order_is_found_even_when_rehashed(
    service: QueueService, clock: Clock
) -> None:
    entries = _journal(service, clock)
    call = next(i for i, e in enumerate(entries) if e.kind == "called")
    last_in = next(e.booking for e in reversed(entries) if e.kind == "arrived")
    forged = dataclasses.replace(entries[call], booking=last_in)
    forged = dataclasses.replace(forged, hash=entry_hash(forged.prev, forged.body()))
    with pytest.raises(JournalError, match="out of order"):
        verify([*entries[:call], forged])


def test_malformed_lines_say_where() -> None:
    with pytest.raises(JournalError, match="line 2 is not JSON"):
        list(read_lines(["", "{nope"]))
