"""Plate formats: generated plates of every format fit it; confusions repair only where allowed."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from shekara.plates import (
    GENERIC_SCORE,
    LETTER_FOR_DIGIT,
    REPAIR_COST,
    PlateFormat,
    confusion_key,
    formats,
    normalise,
    random_plate,
    read_plate,
)

FORMATS = formats()


def any_plate() -> st.SearchStrategy[tuple[PlateFormat, str]]:
    """A format and a valid plate of it, drawn from the format's own pattern."""
    return st.tuples(st.sampled_from(FORMATS), st.randoms(use_true_random=False)).map(
        lambda fr: (fr[0], random_plate(fr[0], fr[1]))
    )


@given(any_plate())
def test_every_generated_plate_fits_its_format_exactly(case: tuple[PlateFormat, str]) -> None:
    fmt, plate = case
    readings = read_plate(plate)
    assert readings[0].score == 1.0
    assert any(r.format == fmt.name and r.text == plate and r.repairs == 0 for r in readings)


@given(any_plate(), st.data())
def test_a_confused_digit_is_repaired_at_a_cost(
    case: tuple[PlateFormat, str], data: st.DataObject
) -> None:
    fmt, plate = case
    spots = [
        i
        for i, (c, s) in enumerate(zip(plate, fmt.pattern, strict=True))
        if s == "9" and c in LETTER_FOR_DIGIT
    ]
    assume(spots)
    i = data.draw(st.sampled_from(spots))
    confused = plate[:i] + LETTER_FOR_DIGIT[plate[i]] + plate[i + 1 :]
    readings = read_plate(confused)
    repaired = [r for r in readings if r.format == fmt.name]
    assert repaired and repaired[0].text == plate
    assert repaired[0].score == pytest.approx(1 - REPAIR_COST)
    assert confusion_key(confused) == confusion_key(plate)


@given(any_plate(), st.lists(st.sampled_from([" ", "-", "."]), max_size=3))
def test_separators_and_case_do_not_matter(case: tuple[PlateFormat, str], seps: list[str]) -> None:
    _, plate = case
    spaced = plate[:3] + "".join(seps) + plate[3:].lower()
    assert normalise(spaced) == normalise(plate)


@given(st.text(max_size=20))
def test_any_text_is_handled_without_error(text: str) -> None:
    for reading in read_plate(text):
        assert 0.0 <= reading.score <= 1.0


def test_region_plates_of_the_crossing() -> None:
    kz = read_plate("123 ABC 12")[0]  # Mangystau region: Temirbaba's side
    assert (kz.text, kz.country, kz.score) == ("123ABC12", "KZ", 1.0)
    tm = read_plate("AB 1234 BN")[0]  # Balkan province: Garabogaz's side
    assert (tm.text, tm.country) == ("AB1234BN", "TM")
    uz = read_plate("01 A 123 BC")[0]
    assert (uz.text, uz.country) == ("01A123BC", "UZ")


def test_russian_plates_read_in_cyrillic_or_latin_are_one_plate() -> None:
    cyrillic, latin = read_plate("А 123 ВС 77")[0], read_plate("A123BC77")[0]
    assert cyrillic == latin
    assert cyrillic.country == "RU"
    # Q has no Cyrillic look-alike, so it cannot be on a Russian plate.
    assert all(r.country != "RU" for r in read_plate("Q123BC77"))


def test_iranian_plates_are_read_and_flagged() -> None:
    reading = read_plate("۱۲ ب ۳۴۵ ۶۷")[0]
    assert (reading.text, reading.country) == ("12ب34567", "IR")


def test_no_repair_where_no_format_asks_for_it() -> None:
    # An unknown layout keeps its characters as read, at a low score.
    reading = read_plate("MH12AB1234")[0]
    assert (reading.text, reading.country, reading.repairs) == ("MH12AB1234", None, 0)
    assert reading.score == GENERIC_SCORE < 1 - 2 * REPAIR_COST
    # A foreign plate that needs three repairs to look Kazakh stays as read.
    assert read_plate("WSQ3021")[0].text == "WSQ3021"
    readings = read_plate("WSQ3021")
    assert readings[0].country is None
    assert all(r.repairs >= 3 and r.score < GENERIC_SCORE for r in readings[1:])
    # A region outside the list is not Kazakh (KZ regions are 01-20).
    assert all(r.country != "KZ" for r in read_plate("123ABC21"))


def test_a_letter_confused_as_digit_is_repaired_in_a_letter_slot() -> None:
    reading = read_plate("AB 1234 8N")[0]
    assert (reading.text, reading.repairs) == ("AB1234BN", 1)
    assert read_plate("123A8C02")[0].text == "123ABC02"
