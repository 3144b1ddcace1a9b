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

from edge.plate_reader import PlateReader, _side_by_side
from edge.plate_synth import COUNTRIES, Look, scene
from edge.scan import run_scan
from shekara.plates import formats, random_plate


@pytest.fixture(scope="module")
def reader() -> PlateReader:
    return PlateReader()


def test_boxes_side_by_side_on_one_line_are_joined() -> None:
    texts = [("C", 0.9, (100, 50, 20, 30)), ("760 XB", 0.95, (125, 52, 90, 30)),
             ("89", 0.97, (220, 48, 30, 28)), ("RUS", 0.8, (220, 80, 30, 12)),
             ("far away", 0.9, (600, 50, 90, 30))]  # fmt: skip
    joined = [t for t, _, _ in _side_by_side(texts)]
    assert "C 760 XB" in joined and "C 760 XB 89" in joined
    assert not any("far away" in t or "RUS" in t for t in joined)


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


@pytest.mark.parametrize(("subset", "floor"), [("eu", 9), ("us", 8), ("br", 15)])
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
