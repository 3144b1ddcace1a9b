"""Atheris harness for the GS1 and ISO 6346 interpreters (:mod:`shekara.codes`).

Fuzzed: ``interpret_gs1`` (text and bytes, with and without a symbology identifier),
``interpret_container``, ``barcode_body`` and ``gs1_check_digit_ok``, with whatever a
decoder could hand over; the GS1 parser underneath (biip) and stdnum are instrumented
too, so coverage guides the fuzzer into their element-string and check-digit code.

Contract: nothing raises; ``barcode_body`` returns a valid ``barcode.read`` body.
Run: ``make fuzz`` or ``.venv/bin/python fuzz/fuzz_codes.py -max_total_time=60``.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["shekara", "biip", "stdnum"]):
    from shekara import wire
    from shekara.codes import (
        barcode_body,
        gs1_check_digit_ok,
        interpret_container,
        interpret_gs1,
    )

IDENTIFIERS = [None, "]C1", "]C0", "]e0", "]d2", "]Q3", "]Q1"]
SYMBOLOGIES = ["Code128", "QRCode", "DataMatrix", "EAN13"]
CONTENT_TYPES = [None, "GS1", "Text", "Binary"]


def TestOneInput(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    identifier = fdp.PickValueInList(IDENTIFIERS)
    symbology = fdp.PickValueInList(SYMBOLOGIES)
    content_type = fdp.PickValueInList(CONTENT_TYPES)
    as_bytes = fdp.ConsumeBool()
    rest = fdp.ConsumeBytes(fdp.remaining_bytes())
    # Decoders hand over text decoded from the symbol's bytes; a lone surrogate cannot
    # come out of that, so they are replaced rather than fuzzed.
    text = rest.decode("utf-8", "replace")
    gs1 = interpret_gs1(rest if as_bytes else (identifier or "") + text)
    assert gs1 is None or isinstance(gs1, wire.GS1Data)
    container = interpret_container(text)
    assert container is None or isinstance(container, wire.ContainerCode)
    assert isinstance(gs1_check_digit_ok(text), bool)
    body = barcode_body(symbology, identifier, rest, text, "zxing-cpp", content_type=content_type)
    wire.validate_body(wire.EventType.BARCODE_READ, body)


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
