"""``shekara-edge scan``: one line per read, clear errors for bad files, never a traceback."""

from __future__ import annotations

import io
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge import labels
from edge.scan import run_scan, scan_files
from shekara import wire


@pytest.fixture
def images(tmp_path: Path) -> dict[str, Path]:
    rng = np.random.default_rng(21)
    made = {
        "sscc": labels.random_label(rng, "sscc"),
        "container": labels.random_label(rng, "container", bad_check=True),
        "qr": labels.random_label(rng, "qr"),
    }
    paths = {}
    for name, label in made.items():
        paths[name] = tmp_path / f"{name}.png"
        cv2.imwrite(str(paths[name]), label.image)
    paths["blank"] = tmp_path / "blank.jpg"
    cv2.imwrite(str(paths["blank"]), np.full((100, 100), 255, np.uint8))
    return paths


def scan(paths: list[str], as_json: bool) -> tuple[int, str, str]:
    # Barcode output only: label captions can look like plates, and plate output has
    # its own test (tests/edge/test_plate_reader.py).
    out, err = io.StringIO(), io.StringIO()
    status = run_scan(paths, as_json=as_json, out=out, err=err, plates=False)
    return status, out.getvalue(), err.getvalue()


def test_json_lines_carry_the_interpretation(images: dict[str, Path]) -> None:
    status, out, err = scan([str(images[k]) for k in ("sscc", "container", "qr", "blank")], True)
    assert (status, err) == (0, "")
    records = [json.loads(line) for line in out.splitlines()]
    assert [(r["file"], r["kind"], r["format"]) for r in records] == [
        (str(images["sscc"]), "barcode", "Code128"),
        (str(images["container"]), "barcode", "Code128"),
        (str(images["qr"]), "barcode", "QRCode"),
    ]
    sscc, container, qr = records
    assert sscc["text"].startswith("(00)") and sscc["gs1"]["sscc"] == sscc["text"][4:]
    assert sscc["invalid_check_digit"] is False and "iso6346" not in sscc
    wire.ContainerCode.model_validate(container["iso6346"])
    assert container["invalid_check_digit"] is True
    assert qr["text"].startswith("CMR-") and "gs1" not in qr and "iso6346" not in qr


def test_human_lines(images: dict[str, Path]) -> None:
    status, out, _ = scan([str(images["container"]), str(images["blank"])], False)
    first, second = out.splitlines()
    assert status == 0
    assert first.startswith(f"{images['container']}: Code128 ")
    assert first.endswith("[ISO 6346, CHECK DIGIT WRONG]")
    assert second == f"{images['blank']}: no code found"


def test_bad_files_are_named_with_a_reason_and_the_rest_still_scanned(
    images: dict[str, Path], tmp_path: Path
) -> None:
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    text = tmp_path / "notes.png"
    text.write_text("not a picture")
    missing = tmp_path / "missing.jpg"
    paths = [str(missing), str(empty), str(images["sscc"]), str(text), str(tmp_path)]
    status, out, err = scan(paths, True)
    assert status == 1
    assert [json.loads(line)["file"] for line in out.splitlines()] == [str(images["sscc"])]
    assert err.splitlines() == [
        f"shekara-edge scan: {missing}: No such file or directory",
        f"shekara-edge scan: {empty}: empty file (0 bytes)",
        f"shekara-edge scan: {text}: not an image format OpenCV can decode",
        f"shekara-edge scan: {tmp_path}: is a directory",
    ]
    assert "Traceback" not in err


def test_transparent_and_16_bit_pictures(tmp_path: Path) -> None:
    label = labels.random_label(np.random.default_rng(2), "gs1-datamatrix")
    ink = 255 - label.image  # black bars become opaque, paper becomes transparent
    bgra = cv2.merge([np.zeros_like(ink)] * 3 + [ink])
    cv2.imwrite(str(tmp_path / "alpha.png"), bgra)
    cv2.imwrite(str(tmp_path / "deep.png"), label.image.astype(np.uint16) * 257)
    records = list(scan_files([tmp_path / "alpha.png", tmp_path / "deep.png"]))
    assert [r["text"] for r in records] == [label.text, label.text]
