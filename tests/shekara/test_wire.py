"""The wire contract: known-answer vectors, parsing, signatures and tampering."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shekara import wire
from shekara.errors import (
    BadSignature,
    BadTopic,
    InvalidEnvelope,
    MalformedJSON,
    OversizedPayload,
    UnsupportedVersion,
)

# RFC 8032 §7.1 TEST 1 key: anyone can reproduce the vector below from the RFC alone.
RFC8032_SECRET = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
RFC8032_EMPTY_SIG = (
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701c"
    "f9b46bd25bf5f0595bbe24655141438e7a100b"
)
KEY = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(RFC8032_SECRET))
ADDR = wire.Address("temirbaba", "entry-1", "tmb-entry-1")
BODY = {
    "symbology": "Code128",
    "symbology_identifier": "]C1",
    "text": "(00)046012345678901234",
    "raw_b64": "MDAwNDYwMTIzNDU2Nzg5MDEyMzQ=",
    "invalid_check_digit": False,
    "frames": 3,
    "decoder": "zxing-cpp",
}
# The same vector is printed in docs/protocol.md for other implementations.
VECTOR_SIGNING_INPUT = (
    'shekara/v1/event\n{"body":{"decoder":"zxing-cpp","frames":3,"invalid_check_digit":false,'
    '"raw_b64":"MDAwNDYwMTIzNDU2Nzg5MDEyMzQ=","symbology":"Code128","symbology_identifier":"]C1",'
    '"text":"(00)046012345678901234"},"captured_at":"2026-11-21T08:30:00.000Z",'
    '"checkpoint":"temirbaba","device_id":"tmb-entry-1","event_id":"01KAKV0Z5B8Y6Q7WJ3M2N4P5R6",'
    '"key_id":"21fe31dfa154a261","lane":"entry-1","prev_hash":"' + "0" * 64 + '","seq":1,'
    '"type":"barcode.read","v":1}'
)
VECTOR_SIG = (
    "cMbN+hvbKLHNrgVk2BvLKHXOnpDVHzVbXJZEqTGACf0OCIpnsYL2i0RFxKDswJYtvDtDecD2HJu5GPSeUMMTAg=="
)
VECTOR_HASH = "0b0166bc8fd3ce31204a3c8a20528c30c7a575c029fe49196b294990b4ee214d"


def vector_event() -> dict[str, Any]:
    return wire.make_event(
        KEY,
        ADDR,
        seq=1,
        prev_hash=wire.GENESIS_HASH,
        event_type="barcode.read",
        body=BODY,
        captured_at="2026-11-21T08:30:00.000Z",
        event_id="01KAKV0Z5B8Y6Q7WJ3M2N4P5R6",
    )


def test_rfc8032_test_1_holds_for_the_library_we_sign_with() -> None:
    assert KEY.sign(b"").hex() == RFC8032_EMPTY_SIG


def test_known_answer_vector() -> None:
    event = vector_event()
    assert event["key_id"] == "21fe31dfa154a261"
    assert wire.signing_input(wire.EVENT_DOMAIN, event) == VECTOR_SIGNING_INPUT.encode()
    assert event["sig"] == VECTOR_SIG
    assert wire.event_hash(event) == VECTOR_HASH


def test_round_trip_through_the_wire_encoding() -> None:
    payload = wire.encode(vector_event())
    envelope, raw = wire.parse_envelope(payload)
    wire.verify(wire.EVENT_DOMAIN, raw, KEY.public_key())
    assert envelope.seq == 1
    assert envelope.address == ADDR


def test_non_canonical_but_equal_json_still_verifies() -> None:
    pretty = json.dumps(vector_event(), indent=2, ensure_ascii=True).encode()
    _, raw = wire.parse_envelope(pretty)
    wire.verify(wire.EVENT_DOMAIN, raw, KEY.public_key())


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("seq", 2),
        ("lane", "entry-2"),
        ("device_id", "tmb-entry-2"),
        ("captured_at", "2026-11-21T08:30:00.001Z"),
        ("prev_hash", "1" * 64),
        ("type", "device.status"),
        ("event_id", "01KAKV0Z5B8Y6Q7WJ3M2N4P5R7"),
    ],
)
def test_changing_any_signed_field_breaks_the_signature(field: str, value: object) -> None:
    event = vector_event()
    event[field] = value
    with pytest.raises(BadSignature):
        wire.verify(wire.EVENT_DOMAIN, event, KEY.public_key())


def test_changing_the_body_or_the_signature_breaks_it() -> None:
    event = vector_event()
    event["body"] = {**BODY, "text": "(00)046012345678901235"}
    with pytest.raises(BadSignature):
        wire.verify(wire.EVENT_DOMAIN, event, KEY.public_key())
    event = vector_event()
    sig = bytearray(base64.b64decode(event["sig"]))
    sig[0] ^= 1
    event["sig"] = base64.b64encode(bytes(sig)).decode()
    with pytest.raises(BadSignature, match="does not verify"):
        wire.verify(wire.EVENT_DOMAIN, event, KEY.public_key())


def test_another_key_is_named_in_the_error() -> None:
    other = Ed25519PrivateKey.generate().public_key()
    with pytest.raises(BadSignature, match="is not the registered key"):
        wire.verify(wire.EVENT_DOMAIN, vector_event(), other)


def test_an_event_signature_is_not_a_presence_signature() -> None:
    with pytest.raises(BadSignature):
        wire.verify(wire.PRESENCE_DOMAIN, vector_event(), KEY.public_key())


@pytest.mark.parametrize(
    ("payload", "error", "message"),
    [
        (b"\xff\xfe", MalformedJSON, "not UTF-8"),
        (b"{not json", MalformedJSON, "not JSON"),
        (b"[1, 2]", MalformedJSON, "JSON list, not an object"),
        (b'{"v": 1, "v": 1}', MalformedJSON, "duplicate member 'v'"),
        (b'{"v": 2}', UnsupportedVersion, "schema version 2"),
        (b" " * (wire.MAX_PAYLOAD_BYTES + 1), OversizedPayload, "limit is"),
        (b'{"v": 1}', InvalidEnvelope, "envelope event_id: Field required"),
    ],
)
def test_malformed_payloads_say_what_is_wrong(
    payload: bytes, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        wire.parse_envelope(payload)


def test_unknown_member_and_unknown_type_are_refused() -> None:
    event = vector_event()
    with pytest.raises(InvalidEnvelope, match="Extra inputs are not permitted"):
        wire.parse_envelope(wire.encode({**event, "extra": 1}))
    with pytest.raises(InvalidEnvelope, match=r"unknown event type 'cargo\.teleported'"):
        wire.parse_envelope(wire.encode({**event, "type": "cargo.teleported"}))


def test_body_is_validated_against_its_type() -> None:
    with pytest.raises(InvalidEnvelope, match=r"barcode\.read body decoder: Field required"):
        wire.validate_body("barcode.read", {k: v for k, v in BODY.items() if k != "decoder"})
    with pytest.raises(InvalidEnvelope, match=r"plate\.read body text: Field required"):
        wire.validate_body("plate.read", {"anything": "else"})
    wire.validate_body(
        "vehicle.passage",
        {
            "plate": "123ABC12",
            "country": "KZ",
            "confidence": 0.93,
            "candidates": [{"text": "123ABC12", "country": "KZ", "confidence": 0.93}],
            "first_seen": "2026-11-21T08:30:00.000Z",
            "last_seen": "2026-11-21T08:30:02.400Z",
            "frames": 17,
            "direction": "toward",
            "evidence": {
                "sha256": "a" * 64,
                "file": "a.jpg",
                "media_type": "image/jpeg",
                "width": 240,
                "height": 60,
            },
        },
    )


def test_topics_round_trip_and_reject_wildcards() -> None:
    topic = ADDR.topic(wire.Channel.EVENTS)
    assert topic == "shekara/v1/temirbaba/entry-1/tmb-entry-1/events"
    assert wire.parse_topic(topic) == (ADDR, wire.Channel.EVENTS)
    assert wire.subscription(wire.Channel.STATUS) == "shekara/v1/+/+/+/status"
    for bad in (
        "shekara/v1/a/b/c",
        "shekara/v2/a/b/c/events",
        "shekara/v1/a/b/c/telemetry",
        "shekara/v1/a/+/c/events",
    ):
        with pytest.raises(BadTopic):
            wire.parse_topic(bad)


def test_command_parses() -> None:
    command = wire.parse_command(
        b'{"v":1,"cmd":"resend","from_seq":3,"to_seq":9,"issued_at":"2026-11-21T08:30:00Z"}'
    )
    assert (command.from_seq, command.to_seq) == (3, 9)


def test_timestamps_are_rfc3339_utc_millis() -> None:
    from datetime import UTC, datetime

    moment = datetime(2026, 11, 21, 8, 30, 0, 123456, tzinfo=UTC)
    assert wire.utc_timestamp(moment) == "2026-11-21T08:30:00.123Z"


def test_schema_in_docs_is_current() -> None:
    from pathlib import Path

    docs = Path(__file__).resolve().parents[2] / "docs" / "protocol.schema.json"
    assert json.loads(docs.read_text()) == wire.json_schema(), "run `make schema`"
