"""Generated, labelled plate images of the region (no public labelled KZ/TM/RU/UZ set exists).

Plates follow their national layouts: the KZ 2012 plate with the flag band and the
region box, Turkmen plates with the province suffix, Russian plates printed in
Cyrillic with the region box, Uzbek plates with the region box on the left; one- and
two-line.  Text comes from :func:`shekara.plates.random_plate`, so every label is a
valid plate of its format.  Photographed looks come from :mod:`edge.synth`
(perspective, blur, motion, noise, JPEG) plus what plates suffer: night/IR, dirt and
partial occlusion.  Sets are written like the openalpr benchmark (``NAME.jpg`` +
``NAME.txt`` = ``file x y w h PLATE``) so one benchmark reads both.

Renders with Pillow and DejaVu Sans Condensed Bold (Debian's fonts-dejavu-core), the
closest freely licensed face to the DIN 1451 / FE-Schrift used on these plates.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from edge.synth import Distortion, clutter, distort
from shekara.plates import PlateFormat, formats, random_plate

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed-Bold.ttf")
PLATE_W, PLATE_H = 520, 112
LATIN_TO_CYRILLIC = str.maketrans("ABEKMHOPCTYX", "АВЕКМНОРСТУХ")
ASCII_TO_PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
COUNTRIES = ("KZ", "TM", "RU", "UZ")


@dataclass(frozen=True, slots=True)
class Look:
    """How bad the picture is; every field at its default gives a clean daytime plate."""

    camera: Distortion = field(default_factory=Distortion)
    night_ir: bool = False
    dirt: float = 0.0  # 0..1: share of the plate under blotches
    occlusion: float = 0.0  # 0..0.3: share of the width hidden at one end
    two_line: bool = False


def _font(size: int, basic: bool = False) -> ImageFont.FreeTypeFont:
    # Basic layout draws characters in the order given, left to right, unshaped: what
    # an Iranian plate shows (isolated letter forms, digits read left to right).  The
    # default (Raqm, where installed) would reorder Persian text right to left.
    engine = ImageFont.Layout.BASIC if basic else None
    return ImageFont.truetype(str(FONT), size, layout_engine=engine)


def _groups(fmt: PlateFormat, text: str) -> tuple[str, str, str]:
    """(left box, main text, right box) as printed: a space at each letter/digit change."""
    region = "".join(c for c, s in zip(text, fmt.pattern, strict=True) if s == "#")
    main = "".join(c for c, s in zip(text, fmt.pattern, strict=True) if s != "#")
    main = re.sub(r"(?<=\d)(?=\D)|(?<=\D)(?=\d)", " ", main)
    if fmt.country == "RU":
        return "", main.translate(LATIN_TO_CYRILLIC), region
    if fmt.country == "UZ":
        return region, main, ""
    if "ب" in fmt.alphabet:  # Iranian plates print Persian digits
        return "", main.translate(ASCII_TO_PERSIAN), region.translate(ASCII_TO_PERSIAN)
    if fmt.country == "TM" and region:
        return "", f"{main} {region}", ""
    return "", main, region


def render(fmt: PlateFormat, text: str, two_line: bool = False) -> np.ndarray:
    """A clean, front-on plate image (BGR)."""
    left, main, right = _groups(fmt, text)
    if two_line:
        return _render_two_line([g for g in (left, *main.split(), right) if g])
    img = Image.new("RGB", (PLATE_W, PLATE_H), "white")
    draw = ImageDraw.Draw(img)
    draw.rectangle([2, 2, PLATE_W - 3, PLATE_H - 3], outline="black", width=4)
    x0, x1 = 10, PLATE_W - 10
    if (fmt.country in ("KZ", "TM") and fmt.regions is not None) or fmt.country == "TM":
        band = (0, 163, 224) if fmt.country == "KZ" else (0, 132, 61)
        draw.rectangle([8, 10, 62, 70], fill=band)
        draw.text((14, 74), fmt.country, font=_font(28), fill="black")
        x0 = 70
    if fmt.country == "IR":  # the blue band, and "Iran" above the province number
        draw.rectangle([8, 8, 52, PLATE_H - 9], fill=(0, 51, 153))
        _fit_text(draw, "I.R.", 10, 50, 50, 74, fill="white")
        _fit_text(draw, "IRAN", 10, 50, 76, 100, fill="white")
        x0 = 58
        _fit_text(draw, "ایران", PLATE_W - 104, PLATE_W - 16, 8, 34)
    if left:
        _fit_text(draw, left, x0, x0 + 90, 14, 98)
        x0 += 96
        draw.line([x0, 6, x0, PLATE_H - 6], fill="black", width=4)
    if right:
        x1 = PLATE_W - 112
        draw.line([x1, 6, x1, PLATE_H - 6], fill="black", width=4)
        bottom = 72 if fmt.country == "RU" else 98
        top = 38 if fmt.country == "IR" else 10
        _fit_text(draw, right, x1 + 8, PLATE_W - 10, top, bottom)
        if fmt.country == "RU":
            _fit_text(draw, "RUS", x1 + 20, PLATE_W - 20, 76, 102)
    _fit_text(draw, main, x0 + 6, x1 - 6, 12, 96)
    return cv2.cvtColor(np.array(img), cv2.COLOR_RGB2BGR)


def _render_two_line(groups: list[str]) -> np.ndarray:
    # Square plates break between groups: the first half on top.
    img = Image.new("RGB", (280, 200), "white")
    draw = ImageDraw.Draw(img)
    draw.rectangle([2, 2, 277, 197], outline="black", width=4)
    half = (len(groups) + 1) // 2
    _fit_text(draw, " ".join(groups[:half]), 14, 266, 8, 96)
    _fit_text(draw, " ".join(groups[half:]), 14, 266, 104, 192)
    return cv2.cvtColor(np.array(img), cv2.COLOR_RGB2BGR)


def _fit_text(
    draw: ImageDraw.ImageDraw, text: str, x0: int, x1: int, y0: int, y1: int, fill: str = "black"
) -> None:
    size = y1 - y0
    basic = any("۰" <= c <= "۹" for c in text)
    while size > 10:
        box = draw.textbbox((0, 0), text, font=_font(size, basic))
        if box[2] - box[0] <= x1 - x0:
            break
        size -= 2
    font = _font(size, basic)
    box = draw.textbbox((0, 0), text, font=font)
    x = x0 + (x1 - x0 - (box[2] - box[0])) // 2 - box[0]
    y = y0 + (y1 - y0 - (box[3] - box[1])) // 2 - box[1]
    draw.text((x, y), text, font=font, fill=fill)


def spoil(plate: np.ndarray, look: Look, rng: np.random.Generator) -> np.ndarray:
    """Dirt, occlusion and IR on the plate itself (before the camera)."""
    out = plate.copy()
    h, w = out.shape[:2]
    for _ in range(int(look.dirt * 40)):
        cx, cy = int(rng.integers(0, w)), int(rng.integers(0, h))
        radius = int(rng.integers(3, max(4, h // 6)))
        shade = tuple(int(v) for v in rng.integers(60, 140, 3))
        overlay = out.copy()
        cv2.circle(overlay, (cx, cy), radius, shade, -1)
        out = cv2.addWeighted(overlay, 0.55, out, 0.45, 0)
    if look.occlusion:
        cut = int(w * look.occlusion)
        x = 0 if rng.random() < 0.5 else w - cut
        out[:, x : x + cut] = (35, 35, 40)
    if look.night_ir:
        gray = cv2.cvtColor(out, cv2.COLOR_BGR2GRAY)
        # Retroreflective plates glow under IR while the rest goes dark.
        glow = cv2.GaussianBlur(gray, (0, 0), 3)
        gray = cv2.addWeighted(gray, 0.8, glow, 0.35, 10)
        out = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
    return out


def scene(
    fmt: PlateFormat, text: str, look: Look, rng: np.random.Generator,
    size: tuple[int, int] = (1280, 720),
) -> tuple[np.ndarray, tuple[int, int, int, int]]:  # fmt: skip
    """A frame with the plate on a cluttered truck front; returns (frame, plate bbox)."""
    plate = spoil(render(fmt, text, look.two_line), look, rng)
    frame = clutter(rng, size)
    if look.night_ir:
        frame = (frame * 0.25).astype(np.uint8)
    width = int(rng.integers(size[0] // 7, size[0] // 4))
    height = int(width * plate.shape[0] / plate.shape[1])
    plate = cv2.resize(plate, (width, height), interpolation=cv2.INTER_AREA)
    x = int(rng.integers(size[0] // 8, size[0] - width - size[0] // 8))
    y = int(rng.integers(size[1] // 3, size[1] - height - 10))
    frame[y : y + height, x : x + width] = plate
    return distort(frame, look.camera, rng), (x, y, width, height)


def generate(
    out_dir: Path, country: str, n: int, seed: int, look: Look | None = None
) -> list[tuple[str, str]]:
    """Write ``n`` labelled frames of ``country``; returns (file name, plate) pairs."""
    out_dir.mkdir(parents=True, exist_ok=True)
    pick = random.Random(seed)
    rng = np.random.default_rng(seed)
    own = [f for f in formats() if f.country == country]
    written = []
    for i in range(n):
        fmt = pick.choice(own)
        text = random_plate(fmt, pick)
        frame, (x, y, w, h) = scene(fmt, text, look or random_look(rng), rng)
        name = f"{country.lower()}-{seed}-{i:05d}.jpg"
        cv2.imwrite(str(out_dir / name), frame, [cv2.IMWRITE_JPEG_QUALITY, 90])
        (out_dir / name).with_suffix(".txt").write_text(f"{name}\t{x}\t{y}\t{w}\t{h}\t{text}\n")
        written.append((name, text))
    return written


def random_look(rng: np.random.Generator) -> Look:
    """A plausible mix: mostly day, some night/IR, dirt, motion and slight occlusion."""
    camera = Distortion(
        rotate_deg=float(rng.uniform(-6, 6)),
        perspective=float(rng.uniform(0, 0.06)),
        blur_sigma=float(rng.uniform(0, 1.2)),
        motion_px=int(rng.integers(0, 9)),
        noise_sigma=float(rng.uniform(1, 8)),
        brightness=float(rng.uniform(-30, 30)),
        contrast=float(rng.uniform(0.7, 1.2)),
        jpeg_quality=int(rng.integers(60, 95)),
    )
    return Look(
        camera=camera,
        night_ir=bool(rng.random() < 0.25),
        dirt=float(rng.uniform(0, 0.5)) if rng.random() < 0.3 else 0.0,
        occlusion=float(rng.uniform(0, 0.08)) if rng.random() < 0.1 else 0.0,
        two_line=bool(rng.random() < 0.15),
    )


def truck_clip(
    plates: list[tuple[PlateFormat, str]],
    rng: np.random.Generator,
    frames_per_truck: int = 12,
    gap_frames: int = 8,
    size: tuple[int, int] = (1280, 720),
) -> list[np.ndarray]:
    """Frames of trucks driving towards the camera one after another, empty lane between."""
    lane = np.full((size[1], size[0], 3), 95, np.uint8)
    lane[size[1] * 2 // 3 :, :] = 70
    frames: list[np.ndarray] = [lane.copy() for _ in range(gap_frames)]
    for fmt, text in plates:
        plate = render(fmt, text)
        for k in range(frames_per_truck):
            grow = 0.8 + 0.4 * k / frames_per_truck  # nearer, larger
            tw, th = int(560 * grow), int(360 * grow)
            x = (size[0] - tw) // 2
            y = int(20 + (size[1] - th - 40) * k / frames_per_truck)
            frame = lane.copy()
            frame[y : y + th, x : x + tw] = (150, 160, 170)  # the cab front
            pw, ph = int(tw * 0.5), int(tw * 0.5 * plate.shape[0] / plate.shape[1])
            px, py = x + (tw - pw) // 2, y + th - ph - int(th * 0.08)
            frame[py : py + ph, px : px + pw] = cv2.resize(plate, (pw, ph))
            frames.append(distort(frame, Distortion(noise_sigma=2.0, jpeg_quality=85), rng))
        frames += [lane.copy() for _ in range(gap_frames)]
    return frames
