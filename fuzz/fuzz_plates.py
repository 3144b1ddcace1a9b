"""Atheris harness for the plate-format rules (:mod:`shekara.plates`).

Fuzzed: ``normalise``, ``read_plate``, ``fit`` (every format) and ``confusion_key`` with
any Unicode text, lone surrogates included; OCR output and typed plates are untrusted.

Contract: nothing raises; a reading fitted to a format has the format's length and
only characters its slots allow.  Run: ``make fuzz`` or
``.venv/bin/python fuzz/fuzz_plates.py -max_total_time=60``.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["shekara"]):
    from shekara.plates import confusion_key, fit, formats, normalise, read_plate, slot_chars

FORMATS = formats()
SLOTS = {f.name: slot_chars(f) for f in FORMATS}


def TestOneInput(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    text = fdp.ConsumeUnicode(fdp.remaining_bytes())
    normalise(text)
    confusion_key(text)
    for reading in read_plate(text):
        if reading.format is not None:
            allowed = SLOTS[reading.format]
            assert len(reading.text) == len(allowed), reading
            assert all(c in a for c, a in zip(reading.text, allowed, strict=True)), reading
    for fmt in FORMATS:
        fit(text, fmt)


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
