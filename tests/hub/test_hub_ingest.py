"""The verification pipeline against a real SQLite file: every hostile input ends in a
dead letter with its reason, good events keep flowing, duplicates are stored once."""

from __future__ import annotations

import hashlib
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hub_support import SimDevice, passage_body, register, status_body

from hub.ingest import DEAD_LETTER_CAP, Ingestor, Message
from hub.outcome import Kind
from hub.store import EventFilter, Store
from shekara import wire
from shekara.wire import encode


def dead_reason(ingestor: Ingestor, topic: str, payload: bytes) -> str | None:
    outcome = ingestor.process(topic, payload)
    assert outcome.kind is Kind.DEAD_LETTER, outcome
    return outcome.reason


def test_good_chain_is_stored_with_body_and_hashes(
    ingestor: Ingestor, store: Store, device: SimDevice
) -> None:
    events = [device.next() for _ in range(3)]
    outcomes = [ingestor.process(device.topic(), encode(e)) for e in events]
    assert [o.kind for o in outcomes] == [Kind.STORED] * 3
    stored = store.query_events(EventFilter(device_id=device.device_id))
    assert [e.seq for e in stored] == [1, 2, 3]
    assert [e.hash for e in stored] == [wire.event_hash(e) for e in events]
    assert stored[0].body == events[0]["body"]
    assert store.event_payload(events[1]["event_id"]) == encode(events[1])
    dev = store.get_device(device.device_id)
    assert dev is not None and dev.last_seq == 3 and dev.stored_count == 3 and dev.gaps == ()


def test_forged_signature(ingestor: Ingestor, device: SimDevice) -> None:
    event = device.next()
    event["body"] = {**event["body"], "text": "TAMPERED"}
    assert dead_reason(ingestor, device.topic(), encode(event)) == "bad_signature"


def test_signed_by_another_key(ingestor: Ingestor, device: SimDevice) -> None:
    impostor = SimDevice(Ed25519PrivateKey.generate(), device.address)
    outcome = ingestor.process(device.topic(), encode(impostor.next()))
    assert outcome.reason == "bad_signature"
    assert "not the registered key" in (outcome.detail or "")


def test_unknown_device(ingestor: Ingestor, device_key: Ed25519PrivateKey) -> None:
    stranger = SimDevice(device_key, wire.Address("cp1", "lane1", "nobody"))
    assert dead_reason(ingestor, stranger.topic(), encode(stranger.next())) == "unknown_device"


def test_device_registered_while_running_is_found(
    ingestor: Ingestor, store: Store, device_key: Ed25519PrivateKey
) -> None:
    late = register(store, device_key, wire.Address("cp1", "lane2", "late"))
    assert ingestor.process(late.topic(), encode(late.next())).kind is Kind.STORED


def test_wrong_lane(ingestor: Ingestor, device: SimDevice) -> None:
    elsewhere = SimDevice(device.key, wire.Address("cp1", "lane9", device.device_id))
    outcome = ingestor.process(elsewhere.topic(), encode(elsewhere.next()))
    assert outcome.reason == "wrong_lane"
    assert "registered at cp1/lane1" in (outcome.detail or "")


def test_topic_mismatch(ingestor: Ingestor, device: SimDevice, store: Store) -> None:
    other = register(store, Ed25519PrivateKey.generate(), wire.Address("cp1", "lane1", "cam2"))
    # A valid event of cam1 published on cam2's topic.
    assert dead_reason(ingestor, other.topic(), encode(device.next())) == "topic_mismatch"


def test_replay_same_seq_different_body(ingestor: Ingestor, device: SimDevice) -> None:
    first = device.next()
    assert ingestor.process(device.topic(), encode(first)).kind is Kind.STORED
    again = device.craft(seq=1, prev_hash=wire.GENESIS_HASH, body={**first["body"], "text": "X"})
    outcome = ingestor.process(device.topic(), encode(again))
    assert outcome.reason == "replay"
    assert first["event_id"] in (outcome.detail or "")


def test_chain_break(ingestor: Ingestor, device: SimDevice) -> None:
    ingestor.process(device.topic(), encode(device.next()))
    broken = device.craft(seq=2, prev_hash="f" * 64)
    assert dead_reason(ingestor, device.topic(), encode(broken)) == "chain_break"
    # seq 1 must start from the genesis hash.
    fresh = register(ingestor.store, Ed25519PrivateKey.generate(), wire.Address("cp1", "l", "d2"))
    bad_first = fresh.craft(seq=1, prev_hash="a" * 64)
    assert dead_reason(ingestor, fresh.topic(), encode(bad_first)) == "chain_break"


def test_late_event_must_link_to_the_stored_successor(
    ingestor: Ingestor, device: SimDevice
) -> None:
    e1, e2, e3 = device.next(), device.next(), device.next()
    ingestor.process(device.topic(), encode(e1))
    ingestor.process(device.topic(), encode(e3))  # gap: 2
    impostor_2 = device.craft(seq=2, prev_hash=wire.event_hash(e1))  # right prev, wrong hash
    outcome = ingestor.process(device.topic(), encode(impostor_2))
    assert outcome.reason == "chain_break"
    assert "stored seq 3" in (outcome.detail or "")
    assert ingestor.process(device.topic(), encode(e2)).kind is Kind.STORED


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"{not json", "malformed_json"),
        (b"\xff\xfe", "malformed_json"),
        (b"[1, 2]", "malformed_json"),
        (b'{"v": 1, "v": 1}', "malformed_json"),
        (b'{"v": 2}', "unsupported_version"),
        (b'{"v": 1}', "invalid_envelope"),
    ],
)
def test_malformed_payloads(
    ingestor: Ingestor, device: SimDevice, payload: bytes, reason: str
) -> None:
    assert dead_reason(ingestor, device.topic(), payload) == reason


def test_unknown_event_type_and_bad_body(ingestor: Ingestor, device: SimDevice) -> None:
    event = device.next()
    unknown = {**event, "type": "teleport"}
    assert dead_reason(ingestor, device.topic(), encode(unknown)) == "invalid_envelope"
    bad_body = {**event, "body": {"symbology": 5}}
    assert dead_reason(ingestor, device.topic(), encode(bad_body)) == "invalid_envelope"


def test_bad_topics(ingestor: Ingestor, device: SimDevice) -> None:
    payload = encode(device.next())
    for topic in ("nope", "shekara/v1/cp1/lane1/cam1/bogus", "shekara/v1/cp 1/l/d/events"):
        assert dead_reason(ingestor, topic, payload) == "bad_topic"
    assert dead_reason(ingestor, device.topic(wire.Channel.COMMANDS), payload) == "bad_topic"


def test_oversized_is_rejected_before_parsing_and_kept_truncated(
    ingestor: Ingestor, store: Store, device: SimDevice
) -> None:
    payload = b"{" + b" " * (2 * 1024 * 1024)  # would not even parse
    outcome = ingestor.process(device.topic(), payload)
    assert outcome.reason == "oversized"
    (dead,) = store.list_dead_letters("oversized")
    assert dead.payload_size == len(payload)
    assert dead.payload_sha256 == hashlib.sha256(payload).hexdigest()
    assert dead.payload == payload[:DEAD_LETTER_CAP]
    assert dead.device_id == device.device_id
    assert f"{len(payload)} bytes" in dead.detail


def test_non_canonical_numbers_are_dead_lettered(ingestor: Ingestor, device: SimDevice) -> None:
    # json accepts NaN and the body model lets it through; canonical JSON cannot encode it.
    status = device.next(wire.EventType.DEVICE_STATUS, {**status_body(), "cpu_temp_c": 40.5})
    text = encode(status).decode().replace('"cpu_temp_c":40.5', '"cpu_temp_c":NaN')
    assert dead_reason(ingestor, device.topic(), text.encode()) == "not_canonical"


def test_duplicate_is_counted_not_stored_not_dead_lettered(
    ingestor: Ingestor, store: Store, device: SimDevice
) -> None:
    event = encode(device.next())
    outcomes = ingestor.ingest([Message(device.topic(), event, 1.0)] * 3)  # same batch
    assert [o.kind for o in outcomes] == [Kind.STORED, Kind.DUPLICATE, Kind.DUPLICATE]
    assert ingestor.process(device.topic(), event).kind is Kind.DUPLICATE  # later batch
    assert store.count_events() == 1
    assert store.count_dead_letters() == 0
    assert ingestor.counters.duplicates == 3 and ingestor.counters.stored == 1


def test_gap_detected_then_filled_out_of_order(
    ingestor: Ingestor, store: Store, device: SimDevice
) -> None:
    events = [device.next() for _ in range(6)]
    for i in (0, 5):  # seq 1 and 6
        ingestor.process(device.topic(), encode(events[i]))
    assert [(g.from_seq, g.to_seq) for g in store.device_gaps(device.device_id)] == [(2, 5)]
    ingestor.process(device.topic(), encode(events[3]))  # seq 4 splits the gap
    assert [(g.from_seq, g.to_seq) for g in store.device_gaps(device.device_id)] == [
        (2, 3),
        (5, 5),
    ]
    for i in (1, 2, 4):
        assert ingestor.process(device.topic(), encode(events[i])).kind is Kind.STORED
    assert store.device_gaps(device.device_id) == []
    assert [e.seq for e in store.query_events(EventFilter(device_id=device.device_id))] == [
        1,
        6,
        4,
        2,
        3,
        5,
    ]


def test_state_survives_a_restart(store: Store, device: SimDevice) -> None:
    first = Ingestor(store)
    e1, e2, e3 = device.next(), device.next(), device.next()
    first.process(device.topic(), encode(e1))
    first.process(device.topic(), encode(e3))
    second = Ingestor(store)  # a new process: everything from the database
    assert second.process(device.topic(), encode(e1)).kind is Kind.DUPLICATE
    assert second.process(device.topic(), encode(e2)).kind is Kind.STORED
    assert second.process(device.topic(), encode(device.next())).kind is Kind.STORED
    broken = device.craft(seq=5, prev_hash="0" * 64)
    assert second.process(device.topic(), encode(broken)).reason == "chain_break"


def test_last_status_is_the_newest_device_status(
    ingestor: Ingestor, store: Store, device: SimDevice
) -> None:
    for uptime in (1, 2):
        ingestor.process(device.topic(), encode(device.next("device.status", status_body(uptime))))
    dev = store.get_device(device.device_id)
    assert dev is not None and dev.last_status is not None
    assert dev.last_status["uptime_s"] == 2


def test_presence_birth_will_and_stale_will(
    ingestor: Ingestor, store: Store, device: SimDevice
) -> None:
    topic = device.topic(wire.Channel.STATUS)
    old_will = device.presence("offline", session=1)
    assert ingestor.process(topic, device.presence("online")).kind is Kind.PRESENCE  # session 1
    assert ingestor.process(topic, device.presence("online")).kind is Kind.PRESENCE  # session 2
    dev = store.get_device(device.device_id)
    assert dev is not None and dev.online is True and dev.session == 2
    stale = ingestor.process(topic, old_will)
    assert stale.kind is Kind.STALE
    dev = store.get_device(device.device_id)
    assert dev is not None and dev.online is True
    assert ingestor.process(topic, device.presence("offline")).kind is Kind.PRESENCE
    dev = store.get_device(device.device_id)
    assert dev is not None and dev.online is False and dev.session == 2
    # A redelivered birth of the same session must not undo its will.
    assert ingestor.process(topic, device.presence("online", session=2)).kind is Kind.STALE
    assert store.count_dead_letters() == 0


def test_birth_acked_seq_reveals_a_lost_tail_which_resent_events_fill(
    ingestor: Ingestor, store: Store, device: SimDevice
) -> None:
    events = [device.next() for _ in range(5)]
    for event in events[:3]:
        ingestor.process(device.topic(wire.Channel.EVENTS), encode(event))
    # Events 4 and 5 were acknowledged by a broker that then crashed: no later event
    # would reveal them, but the next birth says the broker acknowledged up to 5.
    status = device.topic(wire.Channel.STATUS)
    ingestor.process(status, device.presence("online", acked_seq=5))
    assert [(g.from_seq, g.to_seq) for g in store.device_gaps(device.device_id)] == [(4, 5)]
    for event in events[3:]:
        assert (
            ingestor.process(device.topic(wire.Channel.EVENTS), encode(event)).kind is Kind.STORED
        )
    assert store.device_gaps(device.device_id) == []
    # An acked_seq at or below what is stored changes nothing.
    ingestor.process(status, device.presence("online", acked_seq=2))
    assert store.device_gaps(device.device_id) == []


def test_bad_presence_is_dead_lettered(ingestor: Ingestor, device: SimDevice) -> None:
    topic = device.topic(wire.Channel.STATUS)
    forged = json.loads(device.presence("online"))
    forged["session"] = 99
    assert dead_reason(ingestor, topic, encode(forged)) == "bad_signature"
    assert dead_reason(ingestor, topic, b"nope") == "malformed_json"
    other_topic = wire.Address("cp1", "lane1", "cam2").topic(wire.Channel.STATUS)
    assert dead_reason(ingestor, other_topic, device.presence("online")) == "topic_mismatch"


def test_internal_error_becomes_a_dead_letter_and_ingest_goes_on(
    ingestor: Ingestor, store: Store, device: SimDevice, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: object) -> None:
        raise RuntimeError("boom")

    poison = encode(device.next())
    with monkeypatch.context() as m:
        m.setattr(ingestor, "_accept", explode)
        outcome = ingestor.process(device.topic(), poison)
    assert outcome.reason == "internal_error"
    assert outcome.detail == "RuntimeError: boom"
    assert ingestor.process(device.topic(), poison).kind is Kind.STORED
    assert ingestor.process(device.topic(), encode(device.next())).kind is Kind.STORED


def test_poison_batch_falls_back_to_one_by_one(
    ingestor: Ingestor, store: Store, device: SimDevice
) -> None:
    good = device.next()
    other = register(store, Ed25519PrivateKey.generate(), wire.Address("cp1", "lane1", "cam2"))
    clash = other.next()
    clash = other.craft(seq=1, prev_hash=wire.GENESIS_HASH)
    # Same event_id as cam1's event, validly signed by cam2: the UNIQUE index refuses it.
    clash = wire.make_event(
        other.key,
        other.address,
        seq=1,
        prev_hash=wire.GENESIS_HASH,
        event_type="barcode.read",
        body=good["body"],
        captured_at=good["captured_at"],
        event_id=good["event_id"],
    )
    later = device.next()
    outcomes = ingestor.ingest(
        [
            Message(device.topic(), encode(good), 1.0),
            Message(other.topic(), encode(clash), 1.0),
            Message(device.topic(), encode(later), 1.0),
        ]
    )
    assert [o.kind for o in outcomes] == [Kind.STORED, Kind.DEAD_LETTER, Kind.STORED]
    assert outcomes[1].reason == "replay"
    assert store.count_events() == 2
    assert ingestor.process(other.topic(), encode(other.next())).kind is Kind.STORED


def test_every_wire_error_reason_is_a_documented_hub_reason() -> None:
    from hub.outcome import Reason
    from shekara.errors import WireError

    def subclasses(cls: type[WireError]) -> list[type[WireError]]:
        return [cls, *(s for sub in cls.__subclasses__() for s in subclasses(sub))]

    assert {c.reason for c in subclasses(WireError)} <= {r.value for r in Reason}


CROP = b"\xff\xd8\xff\xe0 evidence crop bytes"
CROP_SHA = hashlib.sha256(CROP).hexdigest()


def _passage_with_crop(device: SimDevice) -> dict[str, object]:
    body = passage_body("123ABC12")
    body["evidence"] = {"sha256": CROP_SHA, "file": f"{CROP_SHA}.jpg",
                        "media_type": "image/jpeg", "width": 120, "height": 40}  # fmt: skip
    return device.next(wire.EventType.VEHICLE_PASSAGE, body)


def test_an_evidence_crop_named_by_a_stored_passage_is_kept(
    ingestor: Ingestor, store: Store, device: SimDevice
) -> None:
    evidence_topic = device.address.topic(wire.Channel.EVIDENCE)
    event = _passage_with_crop(device)
    outcomes = ingestor.ingest([Message(device.topic(), encode(event), 1.0),
                                Message(evidence_topic, CROP, 1.0)])  # one batch  # fmt: skip
    assert [o.kind for o in outcomes] == [Kind.STORED, Kind.EVIDENCE]
    assert store.evidence(CROP_SHA) == ("image/jpeg", CROP)
    again = ingestor.process(evidence_topic, CROP)  # a resend: kept once
    assert again.kind is Kind.EVIDENCE and store.evidence(CROP_SHA) == ("image/jpeg", CROP)
    assert ingestor.counters.evidence == 2


def test_evidence_that_no_event_names_or_that_is_no_jpeg_is_a_dead_letter(
    ingestor: Ingestor, store: Store, device: SimDevice, device_key: Ed25519PrivateKey
) -> None:
    topic = device.address.topic(wire.Channel.EVIDENCE)
    assert dead_reason(ingestor, topic, CROP) == "unreferenced_evidence"
    assert dead_reason(ingestor, topic, b"GIF89a not a jpeg") == "not_an_image"
    stranger = wire.Address("cp1", "lane1", "nobody").topic(wire.Channel.EVIDENCE)
    assert dead_reason(ingestor, stranger, CROP) == "unknown_device"
    assert store.evidence(CROP_SHA) is None
