"""Generated regional plates: valid labels in the openalpr layout, reproducible by seed."""

from __future__ import annotations

import random
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.plate_synth import COUNTRIES, Look, generate, render, scene
from shekara.plates import PlateFormat, formats, random_plate, read_plate


@pytest.mark.parametrize("fmt", [f for f in formats() if f.country != "IR"], ids=lambda f: f.name)
def test_every_format_renders_one_and_two_line(fmt: PlateFormat) -> None:
    text = random_plate(fmt, random.Random(3))
    for two_line in (False, True):
        image = render(fmt, text, two_line)
        assert image.ndim == 3 and image.dtype == np.uint8
        assert image.mean() > 120, "a white plate with black characters"
        assert (image < 60).mean() > 0.05, "characters were drawn"


@pytest.mark.parametrize("country", COUNTRIES)
def test_generated_set_has_openalpr_labels_of_valid_plates(country: str, tmp_path: Path) -> None:
    written = generate(tmp_path, country, n=4, seed=11)
    assert len(written) == 4
    for name, plate in written:
        image = cv2.imread(str(tmp_path / name))
        assert image is not None
        file, x, y, w, h, label = (tmp_path / name).with_suffix(".txt").read_text().split("\t")
        assert (file, label.strip()) == (name, plate)
        x, y, w, h = int(x), int(y), int(w), int(h)
        assert 0 <= x < x + w <= image.shape[1] and 0 <= y < y + h <= image.shape[0]
        assert any(r.country == country and r.score == 1.0 for r in read_plate(plate))


def test_same_seed_same_set(tmp_path: Path) -> None:
    first = generate(tmp_path / "a", "KZ", n=3, seed=5)
    second = generate(tmp_path / "b", "KZ", n=3, seed=5)
    assert first == second
    for name, _ in first:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_the_plate_is_where_the_label_says() -> None:
    rng = np.random.default_rng(0)
    frame, (x, y, w, h) = scene(formats()[0], "123ABC12", Look(), rng)
    inside = frame[y : y + h, x : x + w]
    assert inside.mean() > frame.mean(), "the clean white plate is brighter than the scene"
