"""Check a hub database end to end, as after a restore or an upgrade.

Every stored event's signature, hash and link to the one before; the queue journal
(hash chain and published order); the certificate log's tree rebuilt from the
certificates' digests against its latest signed checkpoint.  Each function returns how
much it checked and raises AssertionError (or the verifier's own error) at the first fault.
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.cert import merkle, note
from hub.queue.journal import Verdict, verify
from hub.store import EventFilter, Store
from hub.store.journal_sql import JournalTables
from hub.store.log_sql import LogTables
from shekara import wire
from shekara.keys import public_key_from_b64


def audit_events(store: Store) -> dict[str, int]:
    """device id -> events whose signature, hash and chain verify."""
    checked: dict[str, int] = {}
    for device in store.list_devices():
        key = public_key_from_b64(device.public_key_b64)
        events = store.query_events(EventFilter(device_id=device.device_id, limit=1_000_000))
        previous: dict[int, str] = {}
        for event in events:
            payload = store.event_payload(event.event_id)
            assert payload is not None, event.event_id
            envelope, message = wire.parse_envelope(payload)
            wire.verify(wire.EVENT_DOMAIN, message, key)
            assert wire.event_hash(message) == event.hash, event.event_id
            assert envelope.seq == event.seq and envelope.device_id == device.device_id
            previous[event.seq] = event.hash
            if event.seq == 1:
                assert envelope.prev_hash == wire.GENESIS_HASH
        for event in events:
            if event.seq - 1 in previous:
                assert event.prev_hash == previous[event.seq - 1], f"chain break at {event.seq}"
        checked[device.device_id] = len(events)
    return checked


def audit_journal(store: Store) -> Verdict:
    """The queue journal's verdict (raises JournalError when it does not verify)."""
    tables, entries, after = JournalTables(store), [], 0
    while page := tables.journal(after=after, limit=1000):
        entries.extend(page)
        after = page[-1].seq
    return verify(entries)


@dataclass(frozen=True)
class LogAudit:
    """What :func:`audit_log` found."""

    certificates: int
    checkpoint_size: int


def audit_log(store: Store, log_key: note.Verifier) -> LogAudit:
    """The latest checkpoint's signature and root against the certificates stored."""
    tables = LogTables(store)
    latest = tables.checkpoint()
    assert latest is not None, "the log has no signed checkpoint"
    text, verified = note.open_note(latest.note, {(log_key.name, log_key.id): log_key})
    assert verified == {log_key.name}
    checkpoint = note.parse_checkpoint(text)
    assert checkpoint.size == latest.size and checkpoint.root == latest.root
    certificates = tables.recent(limit=1_000_000)[::-1]
    assert [c.idx for c in certificates] == list(range(len(certificates)))
    leaves = [merkle.leaf_hash(bytes.fromhex(c.digest)) for c in certificates]
    assert merkle.in_memory(leaves)(0, checkpoint.size) == checkpoint.root
    return LogAudit(len(certificates), checkpoint.size)
