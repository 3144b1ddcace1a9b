"""Training data generators: masks lie on the plates, crops carry the right labels."""

from __future__ import annotations

import random

import cv2
import numpy as np

from edge.persian_reader import HEIGHT, WIDTH
from train.scenes import frame_with_mask, made_up_plate, plate_crop


def test_the_mask_covers_a_plate_shaped_region_in_most_frames() -> None:
    shapes = []
    for seed in range(12):
        frame, mask = frame_with_mask(seed, size=(640, 360))
        assert frame.shape[:2] == mask.shape == (360, 640)
        contours, _ = cv2.findContours((mask > 127).astype(np.uint8), 0, 2)
        if contours:
            (_, _), (w, h), _ = cv2.minAreaRect(max(contours, key=cv2.contourArea))
            shapes.append(max(w, h) / max(1, min(w, h)))
    assert len(shapes) >= 9  # one frame in ten has no plate
    assert all(1.2 < aspect < 12 for aspect in shapes)


def test_the_same_seed_gives_the_same_frame() -> None:
    a, ma = frame_with_mask(3, size=(320, 180))
    b, mb = frame_with_mask(3, size=(320, 180))
    assert np.array_equal(a, b) and np.array_equal(ma, mb)


def test_made_up_plates_vary_in_shape() -> None:
    aspects = {
        round(p.shape[1] / p.shape[0]) for p in map(made_up_plate, map(random.Random, range(20)))
    }
    assert len(aspects) >= 3


def test_crops_are_labelled_iranian_text_or_nothing() -> None:
    labels = []
    for seed in range(30):
        crop, label = plate_crop(seed)
        assert crop.shape == (HEIGHT, WIDTH) and crop.dtype == np.uint8
        labels.append(label)
    iranian = [t for t in labels if t]
    assert 10 <= len(iranian) <= 27
    assert all(len(t) == 8 and t[:2].isdigit() and not t[2].isdigit() for t in iranian)
