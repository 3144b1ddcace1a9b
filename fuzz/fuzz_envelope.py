"""Atheris harness for the envelope parser (:mod:`shekara.wire`).

Fuzzed: ``decode_json``, ``parse_envelope``, ``parse_presence``, ``parse_command``,
``validate_body`` and ``parse_topic``, with raw bytes, with valid signed payloads that
have a byte range replaced, and with valid messages that have one member replaced by
fuzzed JSON; what parses also goes through signature verification.

Contract: every input parses or raises a :class:`shekara.errors.ShekaraError`; any
other exception is a crash.  Run: ``make fuzz`` or
``.venv/bin/python fuzz/fuzz_envelope.py -max_total_time=60``.
"""

from __future__ import annotations

import contextlib
import json
import sys
from typing import Any

import atheris
from values import json_or_text

with atheris.instrument_imports(include=["shekara"]):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from shekara import wire
    from shekara.errors import ShekaraError

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
ADDR = wire.Address("temirbaba", "entry-1", "tmb-entry-1")
AT = "2026-11-21T08:00:00.000Z"
MESSAGES: list[dict[str, Any]] = [
    wire.make_event(
        KEY, ADDR, seq=7, prev_hash="ab" * 32, event_type=wire.EventType.BARCODE_READ,
        body={"symbology": "Code128", "text": "CSQU3054383", "raw_b64": "",
              "decoder": "zxing-cpp", "bbox": [1, 2, 3, 4]},
        captured_at=AT, event_id="01JD0000000000000000000000",
    ),
    wire.make_event(
        KEY, ADDR, seq=8, prev_hash="cd" * 32, event_type=wire.EventType.VEHICLE_PASSAGE,
        body={"plate": "123ABC12", "country": "KZ", "confidence": 0.9,
              "candidates": [{"text": "123ABC12", "country": "KZ", "confidence": 0.9}],
              "first_seen": AT, "last_seen": AT, "frames": 4, "direction": "toward",
              "evidence": {"sha256": "ef" * 32, "file": "a.jpg", "media_type": "image/jpeg",
                           "width": 64, "height": 32}},
        captured_at=AT, event_id="01JD0000000000000000000001",
    ),
    wire.sign(
        wire.PRESENCE_DOMAIN,
        {"v": 1, "device_id": ADDR.device, "checkpoint": ADDR.checkpoint, "lane": ADDR.lane,
         "state": "online", "session": 3, "at": AT, "software_version": "0.1.0",
         "last_seq": 7, "acked_seq": 7},
        KEY,
    ),
    {"v": 1, "cmd": "resend", "from_seq": 2, "to_seq": 5, "issued_at": AT},
]  # fmt: skip
PAYLOADS = [wire.encode(m) for m in MESSAGES]
EVENT_TYPES = [str(t) for t in wire.EventType]


def _parse(payload: bytes) -> None:
    for parse in (wire.decode_json, wire.parse_presence, wire.parse_command):
        with contextlib.suppress(ShekaraError):
            parse(payload)
    try:
        _, raw = wire.parse_envelope(payload)
        wire.verify(wire.EVENT_DOMAIN, raw, KEY.public_key())
    except ShekaraError:
        pass


def TestOneInput(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    mode = fdp.ConsumeIntInRange(0, 3)
    if mode == 0:
        _parse(fdp.ConsumeBytes(fdp.remaining_bytes()))
    elif mode == 1:
        base = fdp.PickValueInList(PAYLOADS)
        start = fdp.ConsumeIntInRange(0, len(base))
        end = fdp.ConsumeIntInRange(start, len(base))
        _parse(base[:start] + fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 64)) + base[end:])
    elif mode == 2:
        message = json.loads(json.dumps(fdp.PickValueInList(MESSAGES)))
        target = message["body"] if "body" in message and fdp.ConsumeBool() else message
        target[fdp.PickValueInList([*target, fdp.ConsumeUnicode(8)])] = json_or_text(fdp, 200)
        _parse(json.dumps(message).encode())
    else:
        event_type = fdp.PickValueInList([*EVENT_TYPES, fdp.ConsumeUnicode(16)])
        body = json_or_text(fdp, 200)
        with contextlib.suppress(ShekaraError):
            wire.validate_body(event_type, body if isinstance(body, dict) else {"x": body})
        with contextlib.suppress(ShekaraError):
            wire.parse_topic(fdp.ConsumeUnicode(fdp.remaining_bytes()))


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
