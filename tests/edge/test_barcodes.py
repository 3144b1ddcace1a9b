"""The frame decoder on generated labels and on the shared zxing-cpp samples."""

from __future__ import annotations

import dataclasses
import functools
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
import pytest
import zxingcpp

from edge import barcodes, labels, synth
from edge.barcodes import ZXING, CodeRead, decode

SKIP = {"qrcode-7", "pdf417-4"}  # structured append: several symbols make one message
# Measured with bench/bench_barcodes.py: combination reads per format, a little under.
FLOORS = {"code128": 21, "ean13": 50, "ean8": 8, "qrcode": 125, "datamatrix": 92, "pdf417": 56}


def on_canvas(label: labels.Label, at: tuple[int, int] = (200, 100)) -> np.ndarray:
    canvas = np.full((720, 1280, 3), 180, np.uint8)
    return synth.place(canvas, label.image, at)


def test_reads_a_gs1_128_sscc_with_its_identifier_and_position() -> None:
    label = labels.sscc_label("106141411234567897")
    reads = decode(on_canvas(label))
    assert len(reads) == 1
    read = reads[0]
    assert (read.symbology, read.symbology_identifier, read.content_type) == (
        "Code128",
        "]C1",
        "GS1",
    )
    assert read.raw == b"00106141411234567897"
    assert read.decoder == "zxing-cpp"
    side = int(np.hypot(*label.image.shape)) + 2  # place() pastes into a square this big
    x, y, w, h = read.bbox
    assert x >= 200 and x + w <= 200 + side
    assert y >= 100 and y + h <= 100 + side
    assert w > h  # a linear symbol lying flat


@pytest.mark.parametrize("kind", labels.KINDS)
def test_every_label_kind_reads_in_gray_bgr_and_bgra(kind: str) -> None:
    label = labels.random_label(np.random.default_rng(3), kind)
    bgr = on_canvas(label)
    for frame in (
        bgr,
        cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY),
        cv2.cvtColor(bgr, cv2.COLOR_BGR2BGRA),
    ):
        reads = decode(frame)
        assert [r.symbology for r in reads] == [label.symbology]


def test_several_labels_in_one_frame() -> None:
    rng = np.random.default_rng(11)
    shown = [labels.random_label(rng, k) for k in ("gs1-datamatrix", "qr", "container-qr")]
    reads = decode(synth.cargo_scene(rng, shown))
    assert Counter(r.symbology for r in reads) == Counter(x.symbology for x in shown)


def test_an_empty_lane_reads_nothing() -> None:
    frame = synth.distort(
        synth.clutter(np.random.default_rng(5)), synth.MILD, np.random.default_rng(5)
    )
    assert decode(frame) == []


@pytest.mark.parametrize(
    "frame",
    [np.zeros((10, 10), np.float32), np.zeros((0, 0), np.uint8), np.zeros((4, 4, 2), np.uint8)],
)
def test_refuses_what_is_not_an_8_bit_image(frame: np.ndarray) -> None:
    with pytest.raises(ValueError, match="expected"):
        decode(frame)


def test_pyzbar_reads_are_named_the_zxing_way() -> None:
    label = labels.ean13_label("4006381333931")
    reads = barcodes.read_pyzbar(barcodes.to_gray(on_canvas(label)))
    assert [(r.symbology, r.text, r.decoder, r.symbology_identifier) for r in reads] == [
        ("EAN13", "4006381333931", "pyzbar", None)
    ]


def test_upscaled_pass_reports_boxes_in_frame_pixels() -> None:
    tiny = np.array(zxingcpp.create_barcode("CMR-00000001", zxingcpp.QRCode).to_image(scale=1))
    frame = np.full((120, 160), 255, np.uint8)
    frame[40 : 40 + tiny.shape[0], 60 : 60 + tiny.shape[1]] = tiny
    reads = barcodes.read_zxing_upscaled(frame)
    assert [r.text for r in reads] == ["CMR-00000001"]
    x, y, w, h = reads[0].bbox
    assert 60 <= x < x + w <= 60 + tiny.shape[1]
    assert 40 <= y < y + h <= 40 + tiny.shape[0]


def test_rescue_passes_skip_full_frames() -> None:
    big = np.full((720, 1280), 255, np.uint8)
    assert barcodes.read_zxing_upscaled(big) == []
    assert barcodes.read_zxing_equalised(big) == []
    assert big.size > barcodes.RESCUE_MAX_PIXELS


def test_a_misread_inside_a_larger_linear_read_is_dropped() -> None:
    # Seen on a tilted synthetic SSCC: a few rows agreed on content that passed mod 103.
    sscc, wrong = "00247742267017679058", "53237742267017679058"
    true = CodeRead("Code128", "]C1", sscc, sscc.encode(), ZXING, (547, 307, 481, 94), "GS1")
    misread = dataclasses.replace(true, text=wrong, raw=wrong.encode(), bbox=(549, 327, 474, 51))
    elsewhere = dataclasses.replace(misread, bbox=(0, 0, 300, 80))
    outer = CodeRead("QRCode", "]Q1", "outer", b"outer", ZXING, (0, 0, 100, 100), "Text")
    inner = dataclasses.replace(outer, text="inner", raw=b"inner", bbox=(30, 30, 40, 40))
    frame = np.zeros((8, 8), np.uint8)
    assert decode(frame, [lambda _: [misread, true, true, elsewhere]]) == [true, elsewhere]
    assert decode(frame, [lambda _: [outer, inner]]) == [outer, inner]


# --- the shared zxing-cpp samples -----------------------------------------------------


def matches(reads: list[CodeRead], expected: str | bytes) -> bool:
    if isinstance(expected, bytes):
        return any(r.raw == expected for r in reads)
    return any(r.text == expected for r in reads)


@functools.cache
def scores(root: Path) -> dict[str, Counter[str]]:
    """Per format: images, read by zxing-cpp alone, read by the combination."""
    out: dict[str, Counter[str]] = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and p.name not in SKIP):
        tally = out.setdefault(folder.name.rsplit("-", 1)[0], Counter())
        for path in sorted(folder.iterdir()):
            if path.suffix not in (".png", ".jpg", ".webp"):
                continue
            binary = path.with_suffix(".bin")
            expected = (
                binary.read_bytes()
                if binary.exists()
                else path.with_suffix(".txt").read_bytes().decode()
            )
            image = cv2.imread(str(path), cv2.IMREAD_COLOR)
            assert image is not None, path
            tally["images"] += 1
            tally["zxing"] += matches(decode(image, barcodes.FAST_PASSES), expected)
            tally["combination"] += matches(decode(image), expected)
    return out


@pytest.mark.parametrize("fmt", sorted(FLOORS))
def test_combination_reads_at_least_what_zxing_alone_reads(datasets: Path, fmt: str) -> None:
    tally = scores(datasets / "barcodes-zxing-cpp")[fmt]
    assert tally["combination"] >= tally["zxing"], tally
    assert tally["combination"] >= FLOORS[fmt], tally
