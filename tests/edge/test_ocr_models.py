"""The ONNX detector and recognizer from the installed wheels, on rendered plates."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge.ctc import best_path
from edge.ocr_models import (
    ALNUM,
    DETECTORS,
    TextBox,
    crop_upright,
    load_detector,
    load_recognizer,
    model_file,
)
from edge.plate_synth import render
from shekara.plates import formats


def plate(text: str = "123ABC02") -> np.ndarray:
    fmt = next(f for f in formats() if f.name == "KZ 2012, private")
    return render(fmt, text)


def on_wall(image: np.ndarray, size: tuple[int, int] = (1280, 720)) -> np.ndarray:
    frame = np.full((size[1], size[0], 3), 110, np.uint8)
    h, w = image.shape[:2]
    frame[300 : 300 + h, 400 : 400 + w] = image
    return frame


def test_models_come_from_installed_wheels_only() -> None:
    assert model_file("rapidocr", "models/PP-OCRv6_rec_small.onnx") is not None
    assert model_file("rapidocr", "models/no-such-model.onnx") is None
    assert model_file("no_such_package_here", "x.onnx") is None
    # bootstrap installs the faster detector; the reader would fall back without it.
    assert model_file(*DETECTORS[0]) is not None


def test_detector_finds_the_plate_line_where_it_is() -> None:
    image = cv2.resize(plate(), (260, 56))
    boxes = load_detector(640).boxes(on_wall(image))
    x, y, w, h = max(boxes, key=lambda b: b.size[0]).bbox
    assert abs(x - 400) < 30 and abs(y - 300) < 20 and 200 < w < 300 and h < 80


def test_detector_finds_nothing_on_a_blank_frame() -> None:
    assert load_detector(640).boxes(np.full((720, 1280, 3), 110, np.uint8)) == []


def test_recognizer_reads_a_rendered_plate() -> None:
    log_probs = load_recognizer().log_probs(plate("456DEF07"))
    assert log_probs.shape[1] == len(ALNUM) + 1
    assert np.allclose(np.exp(log_probs).sum(axis=1), 1, atol=1e-3)
    label, _ = best_path(log_probs)
    # The flag strip's "KZ" is text too; the reader's formats sort that out.
    assert "456DEF07" in "".join(ALNUM[c - 1] for c in label)


def test_crop_upright_levels_a_tilted_line() -> None:
    line = np.full((40, 200, 3), 255, np.uint8)
    cv2.rectangle(line, (20, 15), (180, 25), (0, 0, 0), -1)  # a level black bar
    canvas = np.full((400, 400, 3), 255, np.uint8)
    canvas[180:220, 100:300] = line
    tilted = cv2.warpAffine(
        canvas,
        cv2.getRotationMatrix2D((200, 200), 12, 1.0),
        (400, 400),
        borderValue=(255, 255, 255),
    )
    # The detector reports the tilt as minAreaRect does; -12 levels a 12 degree CCW turn.
    crop = crop_upright(tilted, TextBox((200, 200), (200, 40), -12.0, 1.0))
    assert crop.shape[:2] == (40, 200)
    bar = crop[15:26, 25:175]
    assert bar.mean() < 60  # the bar is level again: dark all along its rows
    assert crop[:10].mean() > 200 and crop[-10:].mean() > 200


@pytest.mark.parametrize("turn", [0, 180])
def test_detector_boxes_stand_upright_whatever_minarearect_says(turn: int) -> None:
    # A line and its half-turn are one rectangle: the box angle stays within a quarter
    # turn so that crops are never read upside down.
    image = cv2.resize(plate(), (260, 56))
    frame = on_wall(image)
    if turn:
        frame = cv2.rotate(frame, cv2.ROTATE_180)
    boxes = load_detector(640).boxes(frame)
    assert boxes and all(-90 <= box.angle < 90 for box in boxes)
