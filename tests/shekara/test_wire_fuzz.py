"""Fuzzing the envelope parser (hypothesis; fuzz/fuzz_envelope.py is the atheris twin).

Fuzzed: :func:`shekara.wire.decode_json`, :func:`~shekara.wire.parse_envelope`,
:func:`~shekara.wire.parse_presence`, :func:`~shekara.wire.parse_command`,
:func:`~shekara.wire.validate_body` and :func:`~shekara.wire.parse_topic`, with raw bytes,
arbitrary JSON, and valid messages with one field replaced, removed or added, or a few
bytes changed.

Contract: any input either parses or raises a :class:`~shekara.errors.ShekaraError`
(whose ``reason`` becomes the hub's dead-letter reason).  Any other exception is a bug.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import example, given, settings
from hypothesis import strategies as st

from shekara import wire
from shekara.errors import BadTopic, InvalidEnvelope, ShekaraError

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
ADDR = wire.Address("temirbaba", "entry-1", "tmb-entry-1")
EVENT = wire.make_event(
    KEY,
    ADDR,
    seq=7,
    prev_hash="ab" * 32,
    event_type=wire.EventType.BARCODE_READ,
    body={"symbology": "Code128", "text": "CSQU3054383", "raw_b64": "", "decoder": "zxing-cpp"},
    captured_at="2026-11-21T08:00:00.000Z",
    event_id="01JD0000000000000000000000",
)
PRESENCE = wire.sign(
    wire.PRESENCE_DOMAIN,
    {"v": 1, "device_id": ADDR.device, "checkpoint": ADDR.checkpoint, "lane": ADDR.lane,
     "state": "online", "session": 3, "at": "2026-11-21T08:00:00.000Z",
     "software_version": "0.1.0", "last_seq": 7, "acked_seq": 7},
    KEY,
)  # fmt: skip
COMMAND = {"v": 1, "cmd": "resend", "from_seq": 2, "to_seq": 5,
           "issued_at": "2026-11-21T08:00:00.000Z"}  # fmt: skip
BODIES: dict[str, dict[str, Any]] = {
    wire.EventType.BARCODE_READ: EVENT["body"],
    wire.EventType.DEVICE_STATUS: {"fps": 9.5, "outbox_depth": 0, "camera": "ok",
                                   "software_version": "0.1.0", "uptime_s": 60},
    wire.EventType.PLATE_READ: {"text": "123ABC12", "country": "KZ", "confidence": 0.9,
                                "candidates": [], "bbox": [1, 2, 3, 4], "raw_text": "123 ABC 12"},
    wire.EventType.VEHICLE_PASSAGE: {
        "plate": "123ABC12", "country": "KZ", "confidence": 0.9, "candidates": [],
        "first_seen": "2026-11-21T08:00:00Z", "last_seen": "2026-11-21T08:00:01Z",
        "frames": 4, "evidence": None},
}  # fmt: skip
PARSERS: list[Callable[[bytes], object]] = [
    wire.decode_json,
    wire.parse_envelope,
    wire.parse_presence,
    wire.parse_command,
]

# JSON as json.loads can return it, NaN and infinities included (Python emits and reads
# them, and a hostile sender can too).
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=40)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)


def _parse_all(payload: bytes) -> None:
    for parse in PARSERS:
        with contextlib.suppress(ShekaraError):
            parse(payload)


def _mutated(message: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
    """``message`` with one member replaced, removed or added, at the top or in the body."""
    out: dict[str, Any] = json.loads(json.dumps(message))
    if "body" in out and data.draw(st.booleans()):
        out["body"] = _changed(out["body"], data)
        return out
    return _changed(out, data)


def _changed(target: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
    action = data.draw(st.sampled_from(["replace", "remove", "add"]))
    if action == "add" or not target:
        target[data.draw(st.text(max_size=12))] = data.draw(json_values)
    else:
        key = data.draw(st.sampled_from(sorted(target)))
        if action == "remove":
            del target[key]
        else:
            target[key] = data.draw(json_values)
    return target


def _damaged(payload: bytes, data: st.DataObject) -> bytes:
    """``payload`` with a few bytes overwritten, inserted or deleted."""
    buf = bytearray(payload)
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(buf)))
        op = data.draw(st.sampled_from(["set", "insert", "delete"]))
        byte = data.draw(st.integers(0, 255))
        if op == "insert" or at == len(buf):
            buf.insert(at, byte)
        elif op == "set":
            buf[at] = byte
        else:
            del buf[at]
    return bytes(buf)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
@example(b"[" * 60_000)  # deeper than the C decoder's recursion guard: was RecursionError
@example(b'{"a":' * 20_000)
@example(b'{"seq":' + b"1" * 5000 + b"}")  # beyond int()'s 4300 digits: was ValueError
@example(b'{"seq":' + b"9" * 400 + b"}")  # beyond a double: was OverflowError
@example(b'{"v":NaN}')
@example(b'{"v":1,"v":1}')
@example(b'"\\ud800"')
@example(b"\xef\xbb\xbf{}")
def test_any_bytes_parse_or_raise_a_shekara_error(payload: bytes) -> None:
    _parse_all(payload)


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_any_json_parses_or_raises_a_shekara_error(value: Any) -> None:
    _parse_all(json.dumps(value).encode())


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([EVENT, PRESENCE, COMMAND]), st.data())
def test_a_valid_message_with_one_member_changed(
    message: dict[str, Any], data: st.DataObject
) -> None:
    _parse_all(json.dumps(_mutated(message, data)).encode())


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([EVENT, PRESENCE, COMMAND]), st.data())
def test_a_valid_payload_with_damaged_bytes(message: dict[str, Any], data: st.DataObject) -> None:
    payload = _damaged(wire.encode(message), data)
    _parse_all(payload)
    try:
        env, raw = wire.parse_envelope(payload)
    except ShekaraError:
        return
    # Whatever parses can go on to the signature check, which also only says no in its way.
    try:
        wire.verify(wire.EVENT_DOMAIN, raw, KEY.public_key())
    except ShekaraError:
        return
    assert raw == EVENT and env.seq == EVENT["seq"]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(BODIES)) | st.text(max_size=20), st.data())
def test_validate_body_accepts_or_raises_invalid_envelope(
    event_type: str, data: st.DataObject
) -> None:
    base = BODIES.get(event_type, BODIES[wire.EventType.BARCODE_READ])
    body = data.draw(st.just(base) | st.dictionaries(st.text(max_size=12), json_values))
    if body is base:
        body = _changed(json.loads(json.dumps(base)), data)
    with contextlib.suppress(InvalidEnvelope):
        wire.validate_body(event_type, body)


segments = st.from_regex(r"\A[A-Za-z0-9_-]{1,64}\Z")


@settings(max_examples=200, deadline=None)
@given(
    st.text(max_size=120)
    | st.lists(st.text(max_size=10) | segments, max_size=8).map("/".join)
    | st.tuples(segments, segments, segments, st.text(max_size=10)).map(
        lambda t: f"{wire.TOPIC_ROOT}/{'/'.join(t)}"
    )
)
@example("shekara/v1/a/b/c/events/")
@example("shekara/v1/a/b/c\n/events")  # "$" matches before a final newline: was accepted
def test_any_topic_parses_or_raises_bad_topic(topic: str) -> None:
    try:
        address, channel = wire.parse_topic(topic)
    except BadTopic:
        return
    assert address.topic(channel) == topic
    for segment in (address.checkpoint, address.lane, address.device):
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", segment), segment


@settings(max_examples=100, deadline=None)
@given(
    segments,
    segments,
    segments,
    st.integers(1, wire.MAX_SEQ),
    st.text(max_size=60),
    st.binary(max_size=60),
)
def test_any_signed_barcode_event_round_trips(
    checkpoint: str, lane: str, device: str, seq: int, text: str, raw: bytes
) -> None:
    address = wire.Address(checkpoint, lane, device)
    body = {"symbology": "QRCode", "text": text, "raw_b64": raw.hex(), "decoder": "pyzbar"}
    event = wire.make_event(
        KEY, address, seq=seq, prev_hash=wire.GENESIS_HASH,
        event_type=wire.EventType.BARCODE_READ, body=body,
        captured_at="2026-11-21T08:00:00.5Z", event_id="01JD0000000000000000000000",
    )  # fmt: skip
    env, raw_msg = wire.parse_envelope(wire.encode(event))
    wire.verify(wire.EVENT_DOMAIN, raw_msg, KEY.public_key())
    assert raw_msg == event and env.address == address and env.body["text"] == text
