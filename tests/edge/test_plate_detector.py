"""The project's own plate detector: pre- and post-processing, and the shipped model."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from edge.plate_detector import (
    MODEL,
    OUT_STRIDE,
    PROVENANCE,
    PlateDetector,
    boxes_from_map,
    covers,
    prepare,
)
from edge.plate_synth import Look, scene
from shekara.plates import formats, random_plate


def test_prepare_scales_to_the_longest_side_and_pads_to_the_stride() -> None:
    x, scale = prepare(np.zeros((1080, 1920, 3), np.uint8), 512)
    assert scale == pytest.approx(512 / 1920)
    assert x.shape == (1, 3, 288, 512) and x.dtype == np.float32
    x, scale = prepare(np.full((100, 150, 3), 255, np.uint8), 512)
    assert scale == 1.0 and x.shape == (1, 3, 112, 160)  # never enlarged, padded to 16
    assert x[0, :, :100, :150].min() == pytest.approx(1.0) and x[0, :, 100:, :].max() == 0.0


def test_a_region_of_the_map_becomes_a_box_in_frame_pixels() -> None:
    prob = np.zeros((72, 128), np.float32)
    prob[40:45, 20:40] = 0.9  # 20 x 5 cells
    (box,) = boxes_from_map(prob, scale=0.5)
    factor = OUT_STRIDE / 0.5
    assert box.bbox == pytest.approx((20 * factor, 40 * factor, 20 * factor, 5 * factor), abs=2)
    assert box.score == pytest.approx(0.9) and box.angle == 0


def test_weak_or_tiny_regions_are_not_boxes() -> None:
    prob = np.zeros((72, 128), np.float32)
    prob[10:12, 10:30] = 0.55  # over the threshold but a weak mean
    prob[50, 50] = 0.99  # one cell
    assert boxes_from_map(prob, 1.0) == []


def test_covers_needs_most_of_the_plate_and_not_mostly_background() -> None:
    plate = (100, 100, 100, 20)
    assert covers(plate, (95, 95, 110, 30))
    assert not covers(plate, (100, 100, 50, 20))  # half the plate
    assert not covers(plate, (0, 0, 400, 300))  # the plate is a speck in the box


def test_the_shipped_model_says_how_it_was_made() -> None:
    record = json.loads(PROVENANCE.read_text())
    assert record["model"] == MODEL.name
    assert "generated" in record["data"] and record["steps"] > 0
    assert 0 < record["held_out_recall"] <= 1


def test_the_shipped_model_finds_generated_plates() -> None:
    detector = PlateDetector()
    rng = np.random.default_rng(77)
    regional = [f for f in formats() if f.country in ("KZ", "RU", "UZ", "TM")]
    found = 0
    for i, fmt in enumerate(regional * 3):
        text = random_plate(fmt, random.Random(i))
        frame, plate = scene(fmt, text, Look(), rng)
        found += any(covers(plate, b.bbox) for b in detector.boxes(frame))
    assert found >= 0.8 * len(regional) * 3
