"""Synthetic scenes and footage: every label reads at the distortion levels used here."""

from __future__ import annotations

import itertools
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge import labels, synth
from edge.barcodes import CodeRead, decode
from edge.dedup import Deduplicator
from edge.synth import Distortion
from shekara.codes import read_body

# The distortion levels the end-to-end tests and the demo can rely on.
LEVELS = {
    "rotated 12 deg": Distortion(rotate_deg=12),
    "perspective": Distortion(perspective=0.08),
    "defocused": Distortion(blur_sigma=1.0),
    "motion-blurred": Distortion(motion_px=3),
    "noisy": Distortion(noise_sigma=20),
    "dim, low contrast": Distortion(brightness=-60, contrast=0.5),
    "JPEG q30": Distortion(jpeg_quality=30),
    "footage default": synth.MILD,
    "all at once": Distortion(
        rotate_deg=6, perspective=0.04, blur_sigma=0.8, noise_sigma=8, contrast=0.8, jpeg_quality=60
    ),
}
# Linear symbols only read while a scan line crosses every bar: a 3:1 label tops out
# near 15 degrees of tilt.  2D symbols read at any angle.
LEVELS_2D = {"rotated 45 deg": Distortion(rotate_deg=45)}
KINDS_2D = ("gs1-datamatrix", "container-qr", "qr")

CASES = [(k, name) for k in labels.KINDS for name in LEVELS] + [
    (k, name) for k in KINDS_2D for name in LEVELS_2D
]


def texts(frame: np.ndarray) -> list[str]:
    return [read_body(r)["text"] for r in decode(frame)]


@pytest.mark.parametrize(("kind", "level"), CASES)
def test_label_reads_under_distortion(kind: str, level: str) -> None:
    rng = np.random.default_rng(zlib.crc32(f"{kind}/{level}".encode()))
    label = labels.random_label(rng, kind)
    frame = synth.distort(synth.cargo_scene(rng, [label]), {**LEVELS, **LEVELS_2D}[level], rng)
    assert frame.shape == (720, 1280, 3)
    assert texts(frame) == [label.text]


def test_distortion_is_seeded_and_the_default_changes_nothing() -> None:
    scene = synth.clutter(np.random.default_rng(1))
    assert np.array_equal(synth.distort(scene, Distortion(), np.random.default_rng(0)), scene)
    a = synth.distort(scene, LEVELS["all at once"], np.random.default_rng(2))
    b = synth.distort(scene, LEVELS["all at once"], np.random.default_rng(2))
    assert np.array_equal(a, b) and not np.array_equal(a, scene)


def test_place_refuses_a_label_that_does_not_fit() -> None:
    label = labels.random_label(np.random.default_rng(0), "sscc")
    with pytest.raises(ValueError, match="does not fit"):
        synth.place(np.zeros((720, 1280, 3), np.uint8), label.image, (1000, 600))


# --- footage -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def footage(tmp_path_factory: pytest.TempPathFactory) -> synth.Footage:
    out = tmp_path_factory.mktemp("footage")
    return synth.write_footage(out, seed=4, n_frames=48, bad_check_every=2, video=True)


def test_footage_ground_truth_is_consistent(footage: synth.Footage) -> None:
    assert len(footage.frames) == 48 and all(p.is_file() for p in footage.frames)
    assert [c.kind for c in footage.codes] == list(labels.KINDS[: len(footage.codes)])
    assert len(footage.codes) >= 3
    for before, after in itertools.pairwise(footage.codes):
        assert before.last_frame < after.first_frame - 1  # empty frames between labels
    for c in footage.codes:
        assert 6 <= c.last_frame - c.first_frame + 1 <= 12
        spoilable = c.kind not in ("qr", "ean13")  # a bad EAN is unreadable, a QR has none
        assert c.invalid_check_digit == (spoilable and footage.codes.index(c) % 2 == 1)
    assert synth.load_footage(footage.frames[0].parent) == footage


@pytest.fixture(scope="module")
def decoded(footage: synth.Footage) -> list[list[CodeRead]]:
    frames = [cv2.imread(str(path)) for path in footage.frames]
    return [decode(frame) for frame in frames if frame is not None]


def test_every_frame_reads_exactly_what_the_truth_says(
    footage: synth.Footage, decoded: list[list[CodeRead]]
) -> None:
    assert len(decoded) == len(footage.frames)
    for i, reads in enumerate(decoded):
        assert sorted(read_body(r)["text"] for r in reads) == sorted(
            c.text for c in footage.visible(i)
        ), i


def test_decode_and_dedup_give_one_event_per_appearance(
    footage: synth.Footage, decoded: list[list[CodeRead]]
) -> None:
    dedup = Deduplicator(window_s=0.5)
    events = []
    for i, reads in enumerate(decoded):
        for read in dedup.feed(reads, now=i / footage.fps):
            body = read_body(read)
            events.append((i, body["text"], body["invalid_check_digit"]))
    assert events == [(c.first_frame, c.text, c.invalid_check_digit) for c in footage.codes]


def test_footage_video_holds_every_frame(footage: synth.Footage) -> None:
    assert footage.video is not None
    capture = cv2.VideoCapture(str(footage.video))
    count = 0
    while capture.read()[0]:
        count += 1
    capture.release()
    assert count == len(footage.frames)


def test_footage_as_png_without_labels_that_overrun(tmp_path: Path) -> None:
    out = synth.write_footage(tmp_path, seed=1, n_frames=5, dwell=(8, 8), image_format="png")
    assert [p.suffix for p in out.frames] == [".png"] * 5
    assert out.codes == []  # a label that cannot leave in time is not shown at all
    with pytest.raises(ValueError, match="needs frames over"):
        synth.write_footage(tmp_path / "small", seed=1, n_frames=20, size=(640, 480))
