"""Plate reading with the bundled OCR models: generated regional plates and the shared real set.

Floors sit a little under what was measured (docs/benchmarks.md); they catch
regressions, they are not the issue's goals.
"""

from __future__ import annotations

import io
import json
import random
from pathlib import Path

import cv2
import numpy as np
import pytest
from plate_helpers import probs

from edge.plate_reader import PlateReader, read_line
from edge.plate_synth import COUNTRIES, Look, scene
from edge.scan import run_scan
from shekara.plates import formats, random_plate


@pytest.fixture(scope="module")
def reader() -> PlateReader:
    return PlateReader()


def test_a_doubtful_confusion_is_repaired_where_the_format_says() -> None:
    # KZ 2012 private: 999AAA##; the O in a digit slot had 0 as runner-up.
    hit = read_line(probs("1O3ABC02", {1: ("0", 0.2)}), (0, 0, 100, 20))
    assert hit is not None and hit.raw_text == "1O3ABC02"
    best = hit.readings[0]
    assert (best.text, best.country, best.repairs) == ("103ABC02", "KZ", 1)


def test_a_sure_foreign_plate_is_left_as_read() -> None:
    # Fits no format without three repairs the model gave almost no weight to.
    hit = read_line(probs("WA56660"), (0, 0, 100, 20))
    assert hit is not None
    assert (hit.readings[0].text, hit.readings[0].country) == ("WA56660", None)


def test_formats_repair_characters_they_do_not_add_or_drop_them() -> None:
    hit = read_line(probs("123ABC0"), (0, 0, 100, 20))  # one short of KZ 999AAA##
    assert hit is not None
    assert all(len(r.text) == 7 for r in hit.readings)


def test_a_region_outside_the_list_does_not_fit() -> None:
    hit = read_line(probs("123ABC99"), (0, 0, 100, 20))  # KZ regions stop at 20
    assert hit is not None and hit.readings[0].country is None
    assert not any(r.text.endswith("99") and r.country == "KZ" for r in hit.readings)


def test_text_of_no_format_scores_below_a_plate() -> None:
    plate = read_line(probs("123ABC02"), (0, 0, 100, 20))
    sign = read_line(probs("QX7Z9W4K"), (0, 0, 100, 20))
    assert plate is not None and sign is not None
    assert plate.confidence > sign.confidence
    assert [h.readings[0].text for h in sorted([sign, plate], key=lambda h: -h.confidence)] == [
        "123ABC02", "QX7Z9W4K"]  # fmt: skip


def test_lines_that_are_not_plate_like_give_no_hit() -> None:
    assert read_line(probs("SSCC"), (0, 0, 100, 20)) is None  # no digit
    assert read_line(probs("0123456789"), (0, 0, 100, 20)) is None  # no letter


def test_generated_regional_plates_are_read(reader: PlateReader) -> None:
    pick, rng = random.Random(2026), np.random.default_rng(2026)
    cases = [(f, random_plate(f, pick)) for c in COUNTRIES
             for f in [x for x in formats() if x.country == c][:1] for _ in range(3)]  # fmt: skip
    read = 0
    for fmt, text in cases:
        frame, _ = scene(fmt, text, Look(), rng)
        hits = reader.read(frame)
        read += bool(hits) and hits[0].readings[0].text == text
    assert read >= 9, f"{read}/{len(cases)} generated plates read exactly"


@pytest.mark.parametrize(("subset", "floor"), [("eu", 11), ("us", 10), ("br", 16)])
def test_shared_real_plates_floor(
    reader: PlateReader, datasets: Path, subset: str, floor: int
) -> None:
    exact = 0
    labels = sorted((datasets / "plates-openalpr" / subset).glob("*.txt"))[:20]
    for label in labels:
        name, *_, truth = label.read_text().strip().split("\t")
        hits = reader.read(cv2.imread(str(label.parent / name)))
        exact += bool(hits) and hits[0].readings[0].text == truth
    assert exact >= floor, f"{subset}: {exact}/20 exact"


def test_scan_prints_plates(tmp_path: Path) -> None:
    fmt = next(f for f in formats() if f.country == "KZ")
    frame, _ = scene(fmt, "123ABC12", Look(), np.random.default_rng(1))
    cv2.imwrite(str(tmp_path / "lane.jpg"), frame)
    out = io.StringIO()
    assert run_scan([str(tmp_path / "lane.jpg")], as_json=True, out=out) == 0
    plates = [r for r in map(json.loads, out.getvalue().splitlines()) if r["kind"] == "plate"]
    assert plates[0]["text"] == "123ABC12"
    assert plates[0]["country"] == "KZ"
    assert {"confidence", "bbox", "candidates"} <= plates[0].keys()


def test_a_piece_of_a_longer_plate_is_dropped() -> None:
    from edge.plate_reader import _drop_parts

    whole = read_line(probs("C007KE29"), (100, 50, 200, 40))  # RU, with its region
    part = read_line(probs("C007KE"), (100, 52, 150, 36))  # fits KZ 1993 on its own
    elsewhere = read_line(probs("123ABC02"), (600, 50, 200, 40))
    assert whole and part and elsewhere and part.readings[0].country == "KZ"
    kept = _drop_parts([part, whole, elsewhere])
    assert [h.readings[0].text for h in kept] == ["C007KE29", "123ABC02"]
