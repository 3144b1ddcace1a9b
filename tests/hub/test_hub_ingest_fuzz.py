"""Fuzzing the hub's ingest pipeline on a real SQLite file (hypothesis).

Fuzzed: :class:`hub.ingest.Ingestor` with any bytes on any topic, and with messages
that pass the signature check, because they are signed with the registered device's
real Ed25519 key, but whose fields, body, seqs, chain links, event ids and presence
counters are fuzzed: that reaches the chain bookkeeping and the database, which
garbage bytes never do.

Contract: processing never raises.  Each message is stored (the event is then in the
database), is a duplicate, a presence or stale presence, or becomes exactly one dead
letter with a stable reason.  ``internal_error`` is a bug too: it means some check
let a message through that then broke something further on.
"""

from __future__ import annotations

import itertools
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hub_support import passage_body, status_body
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from hub.ingest import Ingestor
from hub.outcome import Kind, Outcome, Reason
from hub.store import Store
from shekara import wire
from shekara.errors import CanonicalizationError
from shekara.keys import key_id

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
NEW_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
ADDR = wire.Address("cp1", "lane1", "cam1")
OTHER = wire.Address("cp1", "lane2", "cam1")  # the same device id on the wrong lane
AT = "2026-11-21T08:00:00.000Z"
# A handful of ids, so that an id already stored for another event comes up.
EVENT_IDS = [f"01JD{n:022d}" for n in range(4)]
FUZZ = settings(
    deadline=None,
    # Each example opens its own database file under tmp_path, so sharing it is fine.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
_files = itertools.count()

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
seqs = st.integers(1, 6) | st.sampled_from([0, -1, wire.MAX_SEQ, wire.MAX_SEQ + 1, 2**63, 1.5])


class Hub:
    """A copy of ``template`` (a store with the device ``ADDR``) and its ingestor."""

    def __init__(self, tmp_path: Path, template: Path) -> None:
        path = tmp_path / f"fuzz-{next(_files)}.db"
        shutil.copyfile(template, path)  # a quarter of the time of a new database
        self.store = Store(path)
        self.ingestor = Ingestor(self.store)
        self.stored = 0

    def __enter__(self) -> Hub:
        return self

    def __exit__(self, *exc: object) -> None:
        self.store.close()

    def process(self, topic: str, payload: bytes) -> Outcome:
        """Process one message and check that its outcome holds the contract."""
        dead_before = self.store.count_dead_letters()
        outcome = self.ingestor.process(topic, payload)
        event(f"{outcome.kind} {outcome.reason or ''}")  # --hypothesis-show-statistics
        assert outcome.reason != Reason.INTERNAL_ERROR, outcome
        dead_after = self.store.count_dead_letters()
        if outcome.kind is Kind.DEAD_LETTER:
            assert outcome.reason in set(Reason) and outcome.detail, outcome
            assert dead_after == dead_before + 1
        else:
            assert outcome.kind in set(Kind) and dead_after == dead_before
        if outcome.kind is Kind.STORED:
            assert outcome.event_id is not None and self.store.event_exists(outcome.event_id)
            self.stored += 1
        assert self.store.count_events(ADDR.device) == self.stored
        return outcome


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("ingest-fuzz") / "template.db"
    with Store(path) as store:
        store.add_device(ADDR.device, KEY.public_key(), ADDR.checkpoint, ADDR.lane)
    yield path


def _payload(message: dict[str, Any]) -> bytes:
    try:
        return wire.encode(message)
    except CanonicalizationError:
        # Not canonical (NaN, a huge integer...): send what Python's encoder makes of it.
        return json.dumps(message).encode()


def _signed(domain: bytes, message: dict[str, Any], key: Ed25519PrivateKey = KEY) -> bytes:
    try:
        return wire.encode(wire.sign(domain, message, key))
    except CanonicalizationError:
        return _payload(message)


def _event(seq: Any, prev_hash: Any, event_type: Any, body: Any, event_id: str) -> dict[str, Any]:
    return {"v": 1, "event_id": event_id, "device_id": ADDR.device,
            "checkpoint": ADDR.checkpoint, "lane": ADDR.lane, "seq": seq,
            "prev_hash": prev_hash, "captured_at": AT, "type": event_type,
            "body": body}  # fmt: skip


def _body(event_type: str, seq: int) -> dict[str, Any]:
    if event_type == wire.EventType.DEVICE_STATUS:
        return status_body()
    if event_type == wire.EventType.VEHICLE_PASSAGE:
        return passage_body("123ABC12", at=AT)
    if event_type == wire.EventType.DEVICE_KEY_ROTATED:
        return wire.rotation_body(NEW_KEY, ADDR.device, seq, key_id(KEY.public_key()))
    return {"symbology": "Code128", "text": "CSQU3054383", "raw_b64": "", "decoder": "pyzbar"}


topics = st.sampled_from(
    [ADDR.topic(c) for c in wire.Channel]
    + [OTHER.topic(wire.Channel.EVENTS), "shekara/v1/cp1/lane1/cam1\n/events", ""]
) | st.text(max_size=60)


@settings(FUZZ, max_examples=150)
@given(topics, st.binary(max_size=200) | json_values.map(lambda v: json.dumps(v).encode()))
@example(ADDR.topic(wire.Channel.EVENTS), b"[" * 60_000)
@example(ADDR.topic(wire.Channel.STATUS), b'{"v":1,"session":' + b"9" * 5000 + b"}")
@example(ADDR.topic(wire.Channel.EVIDENCE), b"\xff\xd8\xff")
@example("shekara/v1/cp1/lane1/cam1\n/events", b"{}")
def test_any_bytes_on_any_topic(tmp_path: Path, template: Path, topic: str, payload: bytes) -> None:
    with Hub(tmp_path, template) as hub:
        hub.process(topic, payload)


# Values for the members of an event: valid, near misses, or any JSON at all.
FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "v": st.sampled_from([1, 1.0, True, "1", 2]) | json_values,
    "event_id": st.sampled_from(EVENT_IDS) | st.text(max_size=30),
    "device_id": st.sampled_from(["cam1", "cam2", "cam1\n"]) | json_values,
    "checkpoint": st.sampled_from(["cp1", "cp2"]) | json_values,
    "lane": st.sampled_from(["lane1", "lane2"]) | json_values,
    "seq": seqs | json_values,
    "prev_hash": st.sampled_from([wire.GENESIS_HASH, "ab" * 32, "AB" * 32]) | json_values,
    "captured_at": st.sampled_from([AT, "2026-11-21T08:00:00Z", "2026-13-45T99:99:99Z"])
    | json_values,
    "type": st.sampled_from(list(wire.EventType)) | json_values,
    "body": st.dictionaries(st.text(max_size=10), json_values, max_size=4),
    "extra": json_values,
}
event_fields = st.lists(st.sampled_from(sorted(FIELDS)), max_size=2, unique=True).flatmap(
    lambda names: st.fixed_dictionaries({name: FIELDS[name] for name in names})
)
removed_fields = st.lists(st.sampled_from(sorted(FIELDS)), max_size=1)
BODY_KEYS = sorted({name for model in wire.BODY_MODELS.values() for name in model.model_fields})
body_changes = st.dictionaries(st.sampled_from(BODY_KEYS) | st.text(max_size=10), json_values,
                               max_size=2)  # fmt: skip


@settings(FUZZ, max_examples=200)
@given(
    st.sampled_from(list(wire.EventType)),
    st.integers(1, 3),
    event_fields,
    removed_fields,
    body_changes,
    st.lists(st.sampled_from(BODY_KEYS), max_size=1),
    st.booleans(),
)
def test_signed_events_with_fuzzed_fields(
    tmp_path: Path,
    template: Path,
    event_type: str,
    seq: int,
    fields: dict[str, Any],
    removed: list[str],
    body_changes: dict[str, Any],
    body_removals: list[str],
    twice: bool,
) -> None:
    body = {**_body(event_type, seq), **body_changes}
    for name in body_removals:
        body.pop(name, None)
    message = {**_event(seq, wire.GENESIS_HASH, event_type, body, EVENT_IDS[0]), **fields}
    for name in removed:
        message.pop(name, None)
    payload = _signed(wire.EVENT_DOMAIN, message)
    with Hub(tmp_path, template) as hub:
        first = hub.process(ADDR.topic(wire.Channel.EVENTS), payload)
        if twice:
            again = hub.process(ADDR.topic(wire.Channel.EVENTS), payload)
            if first.kind is Kind.STORED:
                assert again.kind is Kind.DUPLICATE


# One step of a device's life: an event at some seq, linked to some earlier event (or
# not), or a presence message announcing some seqs.
steps = st.one_of(
    st.tuples(
        st.just("event"),
        seqs,
        st.sampled_from(["chain", "genesis", "random"]),
        st.sampled_from(list(wire.EventType)),
        st.sampled_from(EVENT_IDS),
    ),
    st.tuples(
        st.just("presence"),
        st.sampled_from(["online", "offline"]) | json_values,
        st.integers(1, 3) | st.sampled_from([0, 2**53, 2**63]) | json_values,
        seqs | json_values,
        st.none() | seqs | json_values,
    ),
)


@settings(FUZZ, max_examples=150)
@given(st.lists(steps, min_size=1, max_size=8))
@example([("event", 1, "genesis", wire.EventType.DEVICE_KEY_ROTATED, EVENT_IDS[0]),
          ("event", 2, "chain", wire.EventType.BARCODE_READ, EVENT_IDS[1])])  # fmt: skip
@example([("presence", "online", 1, 0, wire.MAX_SEQ), ("event", 1, "genesis", "plate.read",
                                                       EVENT_IDS[0])])  # fmt: skip
def test_a_signed_chain_with_fuzzed_seqs_and_links(
    tmp_path: Path, template: Path, steps: list[Any]
) -> None:
    hashes: dict[Any, str] = {}
    with Hub(tmp_path, template) as hub:
        for step in steps:
            if step[0] == "presence":
                _, state, session, last_seq, acked = step
                message = {"v": 1, "device_id": ADDR.device, "checkpoint": ADDR.checkpoint,
                           "lane": ADDR.lane, "state": state, "session": session, "at": AT,
                           "software_version": "0.1.0", "last_seq": last_seq}  # fmt: skip
                if acked is not None:
                    message["acked_seq"] = acked
                hub.process(ADDR.topic(wire.Channel.STATUS), _signed(wire.PRESENCE_DOMAIN, message))
                continue
            _, seq, link, event_type, event_id = step
            before = seq - 1 if isinstance(seq, int) else None
            prev = {"genesis": wire.GENESIS_HASH, "random": "cd" * 32,
                    "chain": hashes.get(before, "ef" * 32)}[link]  # fmt: skip
            body = _body(event_type, seq if isinstance(seq, int) else 1)
            event = _event(seq, prev, event_type, body, event_id)
            try:
                signed = wire.sign(wire.EVENT_DOMAIN, event, KEY)
                payload = wire.encode(signed)
            except CanonicalizationError:
                payload = _payload(event)
            else:
                hashes[seq] = wire.event_hash(signed)
            hub.process(ADDR.topic(wire.Channel.EVENTS), payload)
        device = hub.store.get_device(ADDR.device)
        assert device is not None and device.stored_count == hub.stored
