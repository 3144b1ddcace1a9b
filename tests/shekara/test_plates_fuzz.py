"""Fuzzing the plate-format rules (hypothesis; fuzz/fuzz_plates.py is the atheris twin).

Fuzzed: :func:`shekara.plates.normalise`, :func:`~shekara.plates.read_plate`,
:func:`~shekara.plates.fit` and :func:`~shekara.plates.confusion_key` with any Unicode
text (lone surrogates included: OCR output and typed plates are both untrusted), and
:func:`~shekara.plates.random_plate` against :func:`~shekara.plates.read_plate`.

Contract: no exception on any text; a reading fitted to a format holds only the
characters that format allows, slot by slot; every generated plate reads back exactly.
"""

from __future__ import annotations

import random

from hypothesis import example, given, settings
from hypothesis import strategies as st

from shekara.plates import (
    GENERIC_SCORE,
    PlateFormat,
    confusion_key,
    fit,
    formats,
    normalise,
    random_plate,
    read_plate,
    region_ok,
    slot_chars,
)

FORMATS = formats()
BY_NAME = {f.name: f for f in FORMATS}
# Every character of every format, so that random text often has the right shape.
PLATE_CHARS = sorted({c for f in FORMATS for slot in slot_chars(f) for c in slot})
any_text = st.text(st.characters(exclude_categories=()), max_size=24)
plateish = st.text(
    st.sampled_from([*PLATE_CHARS, " ", "-", "О", "В", "٣", "۵", "²", "１"]) | st.characters(),
    max_size=12,
)


def _check_readings(text: str) -> None:
    readings = read_plate(text)
    assert [r.score for r in readings] == sorted((r.score for r in readings), reverse=True)
    for r in readings:
        assert 0.0 <= r.score <= 1.0 and r.repairs >= 0
        if r.format is None:
            assert r.country is None and r.score == GENERIC_SCORE
            continue
        fmt = BY_NAME[r.format]
        assert len(r.text) == len(fmt.pattern) and region_ok(r.text, fmt)
        for ch, allowed in zip(r.text, slot_chars(fmt), strict=True):
            assert ch in allowed, (r, fmt.pattern)


@settings(max_examples=400, deadline=None)
@given(any_text | plateish)
@example("A12²ABC")  # str.isdigit() holds for "²": it was fitted as a KZ 1993 digit
@example("A１２3ABC")  # fullwidth digits likewise
@example("\ud800")
@example("ß" * 4)
def test_any_text_reads_without_error_and_fits_only_allowed_chars(text: str) -> None:
    _check_readings(text)
    key = confusion_key(text)
    assert confusion_key(key) == key
    assert normalise(normalise(text)) == normalise(text)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(FORMATS), any_text | plateish)
def test_fit_returns_a_reading_or_none(fmt: PlateFormat, text: str) -> None:
    reading = fit(text, fmt)
    if reading is not None:
        assert reading.format == fmt.name and len(reading.text) == len(fmt.pattern)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(FORMATS), st.integers(0, 2**32))
def test_every_random_plate_reads_back_in_its_format(fmt: PlateFormat, seed: int) -> None:
    plate = random_plate(fmt, random.Random(seed))
    readings = read_plate(plate)
    exact = [r for r in readings if r.format == fmt.name]
    assert exact and exact[0].text == plate
    assert (exact[0].country, exact[0].score, exact[0].repairs) == (fmt.country, 1.0, 0)
    assert readings[0].score == 1.0
    _check_readings(plate)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(FORMATS), st.integers(0, 2**32), st.data())
def test_a_random_plate_as_typed_reads_back(
    fmt: PlateFormat, seed: int, data: st.DataObject
) -> None:
    plate = random_plate(fmt, random.Random(seed))
    # Separators, lower case, and Cyrillic look-alikes or Persian digits, as drivers type.
    typed = []
    for ch in plate:
        typed.append(data.draw(st.sampled_from(_spellings(ch))))
        typed.append(data.draw(st.sampled_from(["", "", " ", "-", "."])))
    assert any(r.format == fmt.name and r.text == plate and r.repairs == 0
               for r in read_plate("".join(typed)))  # fmt: skip


_CYRILLIC = dict(zip("ABEKMHOPCTYX", "АВЕКМНОРСТУХ", strict=True))
_PERSIAN_DIGITS = dict(zip("0123456789", "۰۱۲۳۴۵۶۷۸۹", strict=True))


def _spellings(ch: str) -> list[str]:
    return [ch, ch.lower()] + [m[ch] for m in (_CYRILLIC, _PERSIAN_DIGITS) if ch in m]
