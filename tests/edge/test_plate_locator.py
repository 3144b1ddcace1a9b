"""Classical plate localisation on generated scenes."""

from __future__ import annotations

import numpy as np

from edge.plate_locator import iou, propose
from edge.plate_synth import Look, scene
from shekara.plates import formats


def test_the_plate_is_among_the_proposals() -> None:
    fmt = next(f for f in formats() if f.country == "KZ")
    found = 0
    for seed in range(6):
        frame, plate = scene(fmt, "123ABC02", Look(), np.random.default_rng(seed))
        found += any(iou(plate, box) > 0.3 for box in propose(frame, limit=8))
    assert found >= 5, f"plate proposed in {found}/6 scenes"


def test_a_plain_frame_proposes_nothing() -> None:
    assert propose(np.full((720, 1280, 3), 90, np.uint8)) == []


def test_proposals_do_not_overlap_and_respect_the_limit() -> None:
    fmt = next(f for f in formats() if f.country == "UZ")
    frame, _ = scene(fmt, "01A123BC", Look(), np.random.default_rng(3))
    boxes = propose(frame, limit=3)
    assert len(boxes) <= 3
    assert all(iou(a, b) < 0.5 for i, a in enumerate(boxes) for b in boxes[i + 1 :])


def test_iou() -> None:
    assert iou((0, 0, 10, 10), (0, 0, 10, 10)) == 1
    assert iou((0, 0, 10, 10), (20, 20, 5, 5)) == 0
    assert iou((0, 0, 10, 10), (5, 0, 10, 10)) == 50 / 150
