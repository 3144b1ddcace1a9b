"""Synthetic lane footage: cargo labels on cluttered scenes, camera-like distortions.

Everything is drawn from a seed (labels in :mod:`edge.labels`), so tests and the demo's
simulated lanes need no external images and know exactly what each frame shows.
"""

from __future__ import annotations

import json
import logging
import string
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np

from edge.labels import KINDS, Image, Label, Rng, random_label

log = logging.getLogger(__name__)

TRUTH_FILE = "truth.json"
_FONT = cv2.FONT_HERSHEY_SIMPLEX
# Footage labels keep this far from the edges, so camera roll never crops them.
_MARGIN = 44


def clutter(rng: Rng, size: tuple[int, int] = (1280, 720)) -> Image:
    """A BGR lane background: a gradient, boxes and stencilled text, no barcodes."""
    w, h = size
    ramp = np.linspace(70, 150, w, dtype=np.float32)[None, :].repeat(h, axis=0)
    scene = cv2.merge([ramp, ramp * 0.95, ramp * 0.9]).astype(np.uint8)
    for _ in range(int(rng.integers(6, 12))):
        x, y = int(rng.integers(0, w - 60)), int(rng.integers(0, h - 60))
        colour = tuple(int(c) for c in rng.integers(30, 220, 3))
        cv2.rectangle(
            scene,
            (x, y),
            (x + int(rng.integers(40, 300)), y + int(rng.integers(30, 200))),
            colour,
            -1,
        )
    for _ in range(int(rng.integers(3, 7))):
        words = "".join(rng.choice(list(string.ascii_uppercase + string.digits), 8))
        at = (int(rng.integers(0, w - 200)), int(rng.integers(30, h)))
        cv2.putText(scene, words, at, _FONT, float(rng.uniform(0.6, 1.6)), (20, 20, 20), 2)
    return scene


def place(scene: Image, label: Image, at: tuple[int, int], angle: float = 0.0) -> Image:
    """``scene`` with the grayscale ``label`` pasted at ``at`` (top-left), rotated by ``angle``°."""
    out = scene.copy()
    h, w = label.shape
    diag = int(np.hypot(h, w)) + 2
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    m[:, 2] += ((diag - w) / 2, (diag - h) / 2)
    card = cv2.warpAffine(label, m, (diag, diag), borderValue=255)
    mask = cv2.warpAffine(np.full_like(label, 255), m, (diag, diag), borderValue=0) > 127
    x, y = at
    region = out[y : y + diag, x : x + diag]
    if region.shape[:2] != (diag, diag):
        raise ValueError(
            f"label of {diag}px does not fit at {at} in {scene.shape[1]}x{scene.shape[0]}"
        )
    region[mask] = cv2.cvtColor(card, cv2.COLOR_GRAY2BGR)[mask]
    return out


def cargo_scene(
    rng: Rng, labels: Sequence[Label], size: tuple[int, int] = (1280, 720), tilt_deg: float = 4.0
) -> Image:
    """A BGR scene with ``labels`` side by side near the centre, tilted up to ``tilt_deg``."""
    scene = clutter(rng, size)
    diags = [int(np.hypot(*label.image.shape)) + 2 for label in labels]
    x = max(0, (size[0] - sum(diags) - 10 * (len(diags) - 1)) // 2)
    for label, diag in zip(labels, diags, strict=True):
        slack = max(0, (size[1] - diag) // 4)
        y = (size[1] - diag) // 2 + int(rng.integers(-slack, slack + 1))
        scene = place(scene, label.image, (x, y), float(rng.uniform(-tilt_deg, tilt_deg)))
        x += diag + 10
    return scene


# --- camera-like distortions ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Distortion:
    """How a camera spoils a picture; every field at its default leaves it untouched."""

    rotate_deg: float = 0.0  # camera roll about the centre
    perspective: float = 0.0  # corner displacement as a fraction of the size (0..0.2)
    blur_sigma: float = 0.0  # Gaussian defocus, pixels
    motion_px: int = 0  # horizontal motion-blur length, pixels
    noise_sigma: float = 0.0  # Gaussian sensor noise, grey levels
    brightness: float = 0.0  # added to every level
    contrast: float = 1.0  # levels scaled about mid-grey
    jpeg_quality: int | None = None  # re-encode as JPEG at this quality


MILD = Distortion(rotate_deg=3.0, blur_sigma=0.6, noise_sigma=3.0, jpeg_quality=85)


def distort(image: Image, d: Distortion, rng: Rng) -> Image:
    """``image`` as a camera would see it under ``d`` (random parts drawn from ``rng``)."""
    h, w = image.shape[:2]
    out = image
    if d.rotate_deg:
        m = cv2.getRotationMatrix2D((w / 2, h / 2), d.rotate_deg, 1.0)
        out = cv2.warpAffine(out, m, (w, h), borderMode=cv2.BORDER_REPLICATE)
    if d.perspective:
        src = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
        jitter = (
            rng.uniform(0, d.perspective, (4, 2)) * (w, h) * [[1, 1], [-1, 1], [-1, -1], [1, -1]]
        )
        m = cv2.getPerspectiveTransform(src, (src + jitter).astype(np.float32))
        out = cv2.warpPerspective(out, m, (w, h), borderMode=cv2.BORDER_REPLICATE)
    if d.blur_sigma:
        out = cv2.GaussianBlur(out, (0, 0), d.blur_sigma)
    if d.motion_px > 1:
        kernel = np.full((1, d.motion_px), 1.0 / d.motion_px, np.float32)
        out = cv2.filter2D(out, -1, kernel)
    if d.contrast != 1.0 or d.brightness or d.noise_sigma:
        levels = out.astype(np.float32)
        if d.contrast != 1.0 or d.brightness:
            levels = levels * d.contrast + (128.0 * (1.0 - d.contrast) + d.brightness)
        if d.noise_sigma:
            # Luma noise, one draw per pixel shared by the channels: a third of the cost.
            noise = rng.standard_normal(levels.shape[:2], dtype=np.float32) * d.noise_sigma
            levels += noise[..., None] if levels.ndim == 3 else noise
        out = np.clip(levels, 0, 255).astype(np.uint8)
    if d.jpeg_quality is not None:
        ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, d.jpeg_quality])
        decoded = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED) if ok else None
        out = out if decoded is None else decoded
    return out


# --- footage ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Appearance:
    """One label in view over a run of frames: what the dedup should turn into one event."""

    text: str  # expected barcode.read text
    kind: str
    symbology: str
    first_frame: int
    last_frame: int  # inclusive
    invalid_check_digit: bool


@dataclass(frozen=True, slots=True)
class Footage:
    """What :func:`write_footage` wrote: frame files, an optional video, the truth."""

    frames: list[Path]
    codes: list[Appearance]
    fps: float
    video: Path | None = None

    def visible(self, index: int) -> list[Appearance]:
        """The labels fully in view in frame ``index``."""
        return [c for c in self.codes if c.first_frame <= index <= c.last_frame]

    def to_json(self) -> dict[str, object]:
        """The ground truth as written to ``truth.json`` (paths relative to its folder)."""
        return {
            "fps": self.fps,
            "frames": [p.name for p in self.frames],
            "video": self.video.name if self.video else None,
            "codes": [asdict(c) for c in self.codes],
        }


def load_footage(folder: Path) -> Footage:
    """Read back the ground truth of footage written by :func:`write_footage`."""
    data = json.loads((folder / TRUTH_FILE).read_text(encoding="utf-8"))
    return Footage(
        frames=[folder / name for name in data["frames"]],
        codes=[Appearance(**c) for c in data["codes"]],
        fps=float(data["fps"]),
        video=folder / data["video"] if data["video"] else None,
    )


def write_footage(
    out_dir: Path,
    seed: int,
    n_frames: int,
    *,
    size: tuple[int, int] = (1280, 720),
    dwell: tuple[int, int] = (6, 12),
    gap: tuple[int, int] = (3, 6),
    kinds: Sequence[str] = KINDS,
    bad_check_every: int = 0,
    distortion: Distortion = MILD,
    image_format: str = "jpg",
    video: bool = False,
    fps: float = 10.0,
) -> Footage:
    """Write ``n_frames`` numbered frames where labels enter, stay, then leave.

    Each appearance is one label (kinds in turn) in view for ``dwell`` frames (inclusive
    range, drawn per label), on its own background, with small per-frame movement and
    ``distortion``; empty frames for ``gap`` frames separate appearances.  Every
    ``bad_check_every``-th label (0: none) carries a wrong check digit; EAN-13 never
    does, because a reader cannot read it.  ``truth.json`` in ``out_dir`` records it all.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    frames: list[Path] = []
    codes: list[Appearance] = []
    video_path = out_dir / "footage.avi" if video else None
    writer = None
    if video_path is not None:
        writer = cv2.VideoWriter(
            str(video_path), cv2.VideoWriter.fourcc("M", "J", "P", "G"), fps, size
        )

    def emit(scene: Image) -> None:
        frame = distort(scene, distortion, rng)
        path = out_dir / f"{len(frames):06d}.{image_format}"
        if not cv2.imwrite(str(path), frame):
            raise OSError(f"cannot write {path}")
        frames.append(path)
        if writer is not None:
            writer.write(frame)

    try:
        while len(frames) < n_frames:
            empty = clutter(rng, size)
            for _ in range(min(int(rng.integers(gap[0], gap[1] + 1)), n_frames - len(frames))):
                emit(empty)
            kind = kinds[len(codes) % len(kinds)]
            bad = bad_check_every > 0 and (len(codes) + 1) % bad_check_every == 0
            bad = bad and kind not in ("qr", "ean13")
            label = random_label(rng, kind, bad_check=bad)
            stay = int(rng.integers(dwell[0], dwell[1] + 1))
            if len(frames) + stay > n_frames:
                break  # a label must leave inside the footage, or the truth is cut short
            diag = int(np.hypot(*label.image.shape)) + 2
            room = (size[0] - diag - 2 * _MARGIN, size[1] - diag - 2 * _MARGIN)
            if min(room) < 1:
                raise ValueError(f"a {kind} label needs frames over {diag + 2 * _MARGIN}px")
            first = len(frames)
            codes.append(
                Appearance(label.text, kind, label.symbology, first, first + stay - 1, bad)
            )
            background = clutter(rng, size)
            x0 = _MARGIN + int(rng.integers(0, room[0]))
            y0 = _MARGIN + int(rng.integers(0, room[1]))
            for _ in range(stay):
                at = (x0 + int(rng.integers(-4, 5)), y0 + int(rng.integers(-4, 5)))
                emit(place(background, label.image, at, float(rng.uniform(-4, 4))))
        tail = clutter(rng, size)
        while len(frames) < n_frames:
            emit(tail)
    finally:
        if writer is not None:
            writer.release()
    footage = Footage(frames=frames, codes=codes, fps=fps, video=video_path)
    (out_dir / TRUTH_FILE).write_text(json.dumps(footage.to_json(), indent=1), encoding="utf-8")
    log.info("wrote %d frames with %d labels to %s", len(frames), len(codes), out_dir)
    return footage
