"""Iranian plates: the shipped Persian recognizer, alone and inside the plate reader."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from edge.persian_reader import CHARS, FRAMES, HEIGHT, MODEL, WIDTH, PersianRecognizer, prepare
from edge.plate_reader import PlateReader, read_line
from edge.plate_synth import Look, render, scene
from shekara.plates import formats, random_plate

IRANIAN = [f for f in formats() if f.country == "IR"]


@pytest.fixture(scope="module")
def recognizer() -> PersianRecognizer:
    return PersianRecognizer()


def test_prepare_gives_one_grey_plane_of_the_input_size() -> None:
    x = prepare(np.full((112, 520, 3), 255, np.uint8))
    assert x.shape == (1, 1, HEIGHT, WIDTH) and x.max() == pytest.approx(1.0)


def test_the_classes_are_ascii_digits_then_the_persian_plate_letters() -> None:
    assert CHARS[:10] == "0123456789" and len(CHARS) == 31
    assert set(CHARS[10:]) == set(IRANIAN[0].alphabet)


def test_the_shipped_model_says_how_it_was_made() -> None:
    record = json.loads(MODEL.with_suffix(".json").read_text())
    assert record["model"] == MODEL.name and "generated" in record["data"]
    assert record["held_out_exact"] > 0.4 and record["held_out_false_reads"] < 0.05


def test_clean_iranian_plates_are_flagged_and_mostly_read_exactly(
    recognizer: PersianRecognizer,
) -> None:
    # Measured 2026-11-21: 16 of 20 exact; the misses are the letter (its dots).
    pick = random.Random(5)
    texts = [random_plate(IRANIAN[0], pick) for _ in range(20)]
    got = []
    for text in texts:
        log_probs = recognizer.log_probs(render(IRANIAN[0], text))
        assert log_probs.shape == (FRAMES, 1 + len(CHARS))
        hit = read_line(log_probs, (0, 0, 520, 112), CHARS)
        got.append((hit.readings[0].text, hit.readings[0].country) if hit else ("", None))
    assert all(country == "IR" for _, country in got), got
    assert sum(text == t for (text, _), t in zip(got, texts, strict=True)) >= 14, got
    # Digits are read right even where the letter is not.
    digits = [(text[:2] + text[3:], t[:2] + t[3:]) for (text, _), t in zip(got, texts, strict=True)]
    assert sum(a == b for a, b in digits) >= 18


def test_other_plates_read_as_no_iranian_plate(recognizer: PersianRecognizer) -> None:
    pick = random.Random(6)
    others = [f for f in formats() if f.country != "IR"]
    false = 0
    for fmt in others * 3:
        crop = render(fmt, random_plate(fmt, pick))
        hit = read_line(recognizer.log_probs(crop), (0, 0, 1, 1), CHARS)
        false += hit is not None and hit.readings[0].country == "IR"
    assert false <= 1


def test_the_reader_flags_some_iranian_plates_in_whole_frames() -> None:
    # Measured 2026-11-21: 11 of these 30 frames flagged IR (bench-plates: 37.7% of
    # 1,000).  A low floor, as measured: in a frame the Persian net gets text lines
    # and proposals, not the whole plates it was trained on (docs/plates.md).
    reader = PlateReader()
    rng = np.random.default_rng(8)
    pick = random.Random(8)
    flagged = 0
    for _ in range(30):
        text = random_plate(IRANIAN[0], pick)
        frame, _ = scene(IRANIAN[0], text, Look(), rng)
        hits = reader.read(frame)
        flagged += bool(hits) and hits[0].readings[0].country == "IR"
    assert flagged >= 8
