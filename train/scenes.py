"""Training frames for the plate detector: a frame, and a mask of where the plate is.

Half the plates are the region's (:func:`edge.plate_synth.render`, every format in
``plate_formats.toml``, Iranian ones included); the other half are made-up plates of
other shapes and colours (white, yellow, pale; 1.8:1 to 5:1; a line of small print
above or below, a blue band) so that the network learns "a plate" rather than "one
font on white".  One frame in ten has no plate.  The camera is :mod:`edge.synth`'s;
the mask goes through the same geometric warp as the frame, drawn from a copy of the
random generator, so it lies exactly on the plate.
"""

from __future__ import annotations

import copy
import random
import string
from dataclasses import replace

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from edge.persian_reader import prepare
from edge.plate_synth import FONT, random_look, render, spoil
from edge.synth import Distortion, clutter, distort
from shekara.plates import formats, random_plate

FONTS = [FONT.with_name(n) for n in ("DejaVuSans-Bold.ttf", "DejaVuSansMono-Bold.ttf")] + [FONT]
BACKGROUNDS = [(255, 255, 255), (250, 250, 245), (60, 200, 250), (235, 240, 245), (200, 230, 250)]
INKS = [(0, 0, 0), (30, 30, 30), (120, 40, 10), (20, 20, 140), (40, 90, 20)]


def made_up_plate(pick: random.Random) -> np.ndarray:
    """A plate that is no format of the region: other shapes, colours and print (BGR)."""
    aspect = pick.uniform(1.8, 5.0)
    h = 120
    w = int(h * aspect)
    paper, ink = pick.choice(BACKGROUNDS), pick.choice(INKS)
    img = Image.new("RGB", (w, h), paper[::-1])
    draw = ImageDraw.Draw(img)
    if pick.random() < 0.7:
        draw.rectangle([2, 2, w - 3, h - 3], outline=ink[::-1], width=pick.choice((2, 4, 6)))
    x0 = 10
    if pick.random() < 0.3:
        draw.rectangle([6, 6, 6 + h // 3, h - 7], fill=(0, 51, 153))
        x0 = 12 + h // 3
    top, bottom = 10, h - 10
    if pick.random() < 0.4:
        small = "".join(pick.choice(string.ascii_uppercase) for _ in range(pick.randint(5, 12)))
        font = ImageFont.truetype(str(pick.choice(FONTS)), 18)
        at_top = pick.random() < 0.5
        draw.text((w // 3, 6 if at_top else h - 28), small, font=font, fill=ink[::-1])
        top, bottom = (32, h - 8) if at_top else (8, h - 32)
    alphabet = string.ascii_uppercase + string.digits
    text = "".join(pick.choice(alphabet) for _ in range(pick.randint(4, 8)))
    if pick.random() < 0.5:
        cut = pick.randint(1, len(text) - 1)
        text = f"{text[:cut]}{pick.choice(' -·')}{text[cut:]}"
    path = pick.choice(FONTS)
    size = bottom - top
    font = ImageFont.truetype(str(path), size)
    while size > 12 and draw.textbbox((0, 0), text, font=font)[2] > w - x0 - 10:
        size -= 4
        font = ImageFont.truetype(str(path), size)
    box = draw.textbbox((0, 0), text, font=font)
    x = x0 + (w - x0 - (box[2] - box[0])) // 2 - box[0]
    y = top + (bottom - top - (box[3] - box[1])) // 2 - box[1]
    draw.text((x, y), text, font=font, fill=ink[::-1])
    return cv2.cvtColor(np.array(img), cv2.COLOR_RGB2BGR)


def regional_plate(pick: random.Random) -> np.ndarray:
    """A plate of one of the formats in ``plate_formats.toml`` (BGR)."""
    fmt = pick.choice(formats())
    return render(fmt, random_plate(fmt, pick), two_line=pick.random() < 0.15)


def frame_with_mask(
    seed: int, size: tuple[int, int] = (1280, 720)
) -> tuple[np.ndarray, np.ndarray]:
    """One training frame (BGR) and its plate mask (uint8, 255 on the plate)."""
    pick = random.Random(seed)
    rng = np.random.default_rng(seed)
    look = random_look(rng)
    frame = clutter(rng, size)
    mask = np.zeros(frame.shape[:2], np.uint8)
    if look.night_ir:
        frame = (frame * 0.25).astype(np.uint8)
    if pick.random() >= 0.1:
        plate = regional_plate(pick) if pick.random() < 0.5 else made_up_plate(pick)
        plate = spoil(plate, replace(look, two_line=False), rng)
        # From a distant small plate (most of openalpr's US set) to a near, large one.
        width = int(size[0] * pick.uniform(1 / 20, 1 / 3.5))
        height = max(8, int(width * plate.shape[0] / plate.shape[1]))
        x = pick.randint(8, size[0] - width - 8)
        y = pick.randint(8, size[1] - height - 8)
        frame[y : y + height, x : x + width] = cv2.resize(
            plate, (width, height), interpolation=cv2.INTER_AREA
        )
        mask[y : y + height, x : x + width] = 255
    geometry = Distortion(rotate_deg=look.camera.rotate_deg, perspective=look.camera.perspective)
    mask = distort(mask, geometry, copy.deepcopy(rng))
    return distort(frame, look.camera, rng), mask


_IRANIAN = [f for f in formats() if f.country == "IR"]
_OTHERS = [f for f in formats() if f.country != "IR"]


def plate_crop(seed: int) -> tuple[np.ndarray, str]:
    """A grey plate crop as the Persian recognizer sees it, and its label.

    Six in ten are Iranian plates (label: the plate text), the rest other plates
    (label ""). The plate is 50-300 px wide under a random camera, and cut out with
    the box off by up to a tenth of its size, as a detector's would be.
    """
    pick = random.Random(seed)
    rng = np.random.default_rng(seed)
    look = random_look(rng)
    if pick.random() < 0.6:
        fmt = pick.choice(_IRANIAN)
        label = random_plate(fmt, pick)
        plate = render(fmt, label)
    else:
        label = ""
        if pick.random() < 0.7:
            fmt = pick.choice(_OTHERS)
            plate = render(fmt, random_plate(fmt, pick), two_line=pick.random() < 0.15)
        else:
            plate = made_up_plate(pick)
    plate = spoil(plate, replace(look, two_line=False), rng)
    w = pick.randint(50, 300)
    h = max(10, round(w * plate.shape[0] / plate.shape[1]))
    canvas = np.empty((h * 3, w * 2, 3), np.uint8)
    canvas[:] = rng.integers(30, 220, 3)
    top, left = h, w // 2
    canvas[top : top + h, left : left + w] = cv2.resize(plate, (w, h), interpolation=cv2.INTER_AREA)
    camera = replace(look.camera, rotate_deg=look.camera.rotate_deg / 2, perspective=0.0)
    canvas = distort(canvas, camera, rng)
    # A detector's box is off by a little on every side.
    x0 = left + round(w * pick.uniform(-0.08, 0.05))
    x1 = left + w + round(w * pick.uniform(-0.05, 0.08))
    y0 = top + round(h * pick.uniform(-0.15, 0.1))
    y1 = top + h + round(h * pick.uniform(-0.1, 0.15))
    grey = prepare(canvas[y0:y1, x0:x1])[0, 0]
    return ((grey + 1) * 127.5).round().astype(np.uint8), label
