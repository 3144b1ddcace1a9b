"""``shekara-edge scan``: one line per read, clear errors for bad files, never a traceback."""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import zlib
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


BOMB_SIDE = 20000


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = struct.pack(">I", zlib.crc32(kind + data))
    return struct.pack(">I", len(data)) + kind + data + crc


def _zeros_idat(side: int, rows: int = 100) -> bytes:
    # 1.2 GB of zero rows deflate to about 1 MB.  A full flush ends byte-aligned with the
    # window reset, so one segment compressed once is repeated instead of compressing
    # the whole stream (seconds of CPU).
    raw_row = 1 + 3 * side  # filter byte, then RGB
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    segment = deflate.compress(bytes(raw_row * rows)) + deflate.flush(zlib.Z_FULL_FLUSH)
    # Adler-32 of n zero bytes: the sum A stays 1, B adds A once per byte.
    adler = ((raw_row * side) % 65521) << 16 | 1
    empty_final_block = b"\x03\x00"
    return b"\x78\xda" + segment * (side // rows) + empty_final_block + struct.pack(">I", adler)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A zero-byte file, a JPEG cut in half and a valid 20000x20000 PNG of about 1 MB."""
    folder = tmp_path_factory.mktemp("hostile")
    empty = folder / "empty.jpg"
    empty.write_bytes(b"")
    rng = np.random.default_rng(9)
    encoded = cv2.imencode(".jpg", rng.integers(0, 256, (480, 640, 3), np.uint8))[1].tobytes()
    truncated = folder / "truncated.jpg"
    truncated.write_bytes(encoded[: len(encoded) // 2])
    ihdr = struct.pack(">IIBBBBB", BOMB_SIDE, BOMB_SIDE, 8, 2, 0, 0, 0)
    bomb = folder / "bomb.png"
    bomb.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", _zeros_idat(BOMB_SIDE))
        + _png_chunk(b"IEND", b"")
    )
    return {"empty": empty, "truncated": truncated, "bomb": bomb}


def test_the_bomb_really_inflates_to_a_full_picture(hostile: dict[str, Path]) -> None:
    # Without this, the memory test below could pass on a PNG OpenCV rejects anyway.
    data = hostile["bomb"].read_bytes()
    assert len(data) < 2_000_000
    idat = data[data.index(b"IDAT") + 4 : data.index(b"IEND") - 8]
    inflate, total, step = zlib.decompressobj(), 0, 1 << 26
    for at in range(0, len(idat), 4096):
        piece = inflate.decompress(idat[at : at + 4096], step)
        while piece:
            total += len(piece)
            piece = inflate.decompress(inflate.unconsumed_tail, step)
    assert inflate.eof and total == BOMB_SIDE * (1 + 3 * BOMB_SIDE)


def test_hostile_files_are_refused_with_a_reason_and_the_rest_still_scanned(
    hostile: dict[str, Path], images: dict[str, Path]
) -> None:
    paths = [str(hostile[k]) for k in ("empty", "truncated", "bomb")] + [str(images["sscc"])]
    status, out, err = scan(paths, True)
    assert status == 1
    assert [json.loads(line)["file"] for line in out.splitlines()] == [str(images["sscc"])]
    assert err.splitlines() == [
        f"shekara-edge scan: {hostile['empty']}: empty file (0 bytes)",
        f"shekara-edge scan: {hostile['truncated']}: truncated JPEG: no end-of-image marker "
        f"({hostile['truncated'].stat().st_size} bytes)",
        f"shekara-edge scan: {hostile['bomb']}: image is 20000x20000 (400.0 megapixels), "
        "over the limit of 50 megapixels",
    ]


def test_scanning_a_decompression_bomb_keeps_memory_bounded(
    hostile: dict[str, Path], images: dict[str, Path]
) -> None:
    # Decoding the bomb takes 2.4 GB (1.2 GB of pixels, and libpng's rows).  The CLI runs
    # under a small parent so RUSAGE_CHILDREN covers the scan alone, not every process
    # this test session has started.
    command = [sys.executable, "-m", "edge.cli", "scan", "--no-plates", "--json"]
    command += [str(hostile["bomb"]), str(hostile["truncated"]), str(images["sscc"])]
    parent = (
        "import json, resource, subprocess, sys\n"
        "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
        "print(json.dumps([done.returncode, done.stdout, done.stderr, peak_kib]))\n"
    )
    ran = subprocess.run(
        [sys.executable, "-c", parent, *command], capture_output=True, text=True, check=True
    )
    status, out, err, peak_kib = json.loads(ran.stdout)
    assert status == 1, err
    assert "image is 20000x20000" in err and "truncated JPEG" in err
    assert [json.loads(line)["file"] for line in out.splitlines()] == [str(images["sscc"])]
    assert peak_kib < 400 * 1024, f"peak RSS {peak_kib // 1024} MiB"
