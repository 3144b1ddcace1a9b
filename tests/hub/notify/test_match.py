"""The matching engine: exact, OCR-confused and near-miss plates, trailers, items."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st
from notify_helpers import CONTAINER, notification, sscc

from hub.notify.match import (
    ItemStatus,
    Level,
    PlateReading,
    Sighting,
    match_vehicle,
    plate_keys,
    plate_match,
    reading_keys,
)
from hub.notify.model import NotificationIn
from hub.notify.records import KeyKind
from shekara.plates import confusion_key, formats, random_plate

BODY = NotificationIn.model_validate(notification()).model_dump(mode="json")
# Letters and digits OCR confuses, both ways.
CONFUSIONS = {"0": "O", "O": "0", "1": "I", "I": "1", "2": "Z", "Z": "2", "5": "S", "S": "5",
              "8": "B", "B": "8"}  # fmt: skip
PLATE_FORMATS = [f for f in formats() if f.country in ("KZ", "TM", "RU", "UZ")]


def _sighting(*plates: str, codes: tuple[str, ...] = ()) -> Sighting:
    return Sighting(tuple(PlateReading(p) for p in plates), frozenset(codes))


def test_exact_and_cyrillic_lookalikes_are_exact() -> None:
    assert plate_match("123ABC12", "123ABC12").score == 1.0
    m = plate_match("123 АВС 12", "123ABC12")  # Cyrillic А, В, С
    assert (m.level, m.score, m.reason) == (Level.MATCH, 1.0, "exact")


def test_a_confusion_matches_with_a_lower_score_and_says_where() -> None:
    m = plate_match("123A8C12", "123ABC12")
    assert m.level is Level.MATCH and m.score < 1.0
    assert m.reason == "OCR confusion: 8 read for B at 5"


def test_a_near_miss_is_only_probable() -> None:
    m = plate_match("123ABD12", "123ABC12")
    assert m.level is Level.PROBABLE and "near miss" in m.reason
    assert plate_match("23ABC12", "123ABC12").level is Level.PROBABLE  # a character lost
    assert plate_match("777XYZ01", "123ABC12").level is Level.NONE


def test_a_full_match_sees_every_item() -> None:
    m = match_vehicle(_sighting("123ABC12", codes=(CONTAINER, sscc(1), sscc(2))), BODY)
    assert m.level is Level.MATCH and m.score == 1.0 and not m.tractor_changed
    status = {i.code: i.status for i in m.items}
    assert status == {CONTAINER: ItemStatus.SEEN, "KZ778812": ItemStatus.MISSING,
                      sscc(1): ItemStatus.SEEN, sscc(2): ItemStatus.SEEN}  # fmt: skip


def test_undeclared_codes_are_listed() -> None:
    m = match_vehicle(_sighting("123ABC12", codes=(sscc(9),)), BODY)
    assert [(i.code, i.status) for i in m.items if i.status is ItemStatus.UNDECLARED] == [
        (sscc(9), ItemStatus.UNDECLARED)
    ]


def test_a_trailer_under_another_tractor_matches_and_is_flagged() -> None:
    m = match_vehicle(_sighting("777XYZ12", "456ABD12"), BODY)
    assert m.level is Level.MATCH and m.tractor_changed
    assert m.tractor.level is Level.NONE and m.trailers[0].level is Level.MATCH
    assert "trailer handed over" in m.reasons[-1]


def test_a_container_alone_matches_a_truck_with_another_tractor() -> None:
    m = match_vehicle(_sighting("777XYZ12", codes=(CONTAINER,)), BODY)
    assert m.level is Level.MATCH and m.tractor_changed and m.score == 0.95


def test_nothing_in_common_is_no_match() -> None:
    m = match_vehicle(_sighting("777XYZ01", codes=(sscc(9),)), BODY)
    assert m.level is Level.NONE and m.score == 0.0


@st.composite
def plates(draw: st.DrawFn) -> str:
    fmt = draw(st.sampled_from(PLATE_FORMATS))
    return random_plate(fmt, random.Random(draw(st.integers(0, 2**32))))


@settings(max_examples=300, deadline=None)
@given(plates(), st.data())
def test_generated_confusions_still_match_with_a_lower_score(
    plate: str, data: st.DataObject
) -> None:
    spots = [i for i, c in enumerate(plate) if c in CONFUSIONS]
    if not spots:
        return
    chosen = data.draw(st.lists(st.sampled_from(spots), min_size=1, unique=True))
    misread = "".join(CONFUSIONS[c] if i in chosen else c for i, c in enumerate(plate))
    m = plate_match(misread, plate)
    assert m.level is Level.MATCH and 0.7 <= m.score < 1.0
    # and the lookup keys of the misreading find the declared plate
    assert set(plate_keys(plate, KeyKind.TRACTOR)) & set(reading_keys(misread))


@settings(max_examples=300, deadline=None)
@given(plates(), plates())
def test_unrelated_plates_never_match(a: str, b: str) -> None:
    if _levenshtein(confusion_key(a), confusion_key(b)) < 2:
        return
    assert plate_match(a, b).level is Level.NONE


def _levenshtein(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (x != y))
    return row[-1]


@settings(max_examples=200, deadline=None)
@given(plates(), st.integers(0, 7), st.sampled_from("ACEHKMPTX3479"))
def test_one_wrong_character_is_probable_and_found_by_the_keys(
    plate: str, spot: int, wrong: str
) -> None:
    spot %= len(plate)
    misread = plate[:spot] + wrong + plate[spot + 1 :]
    if confusion_key(misread) == confusion_key(plate):
        return
    assert plate_match(misread, plate).level is Level.PROBABLE
    assert set(plate_keys(plate, KeyKind.TRACTOR)) & set(reading_keys(misread))
