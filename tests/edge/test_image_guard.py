"""Hostile image files are refused from their header, before OpenCV decodes them."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import tracemalloc
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.image_guard import (
    MAX_FILE_BYTES,
    MAX_PIXELS,
    RejectedImage,
    check_image,
    image_size,
    read_image_file,
)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares ``width`` x ``height`` RGB but carries almost no pixel data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(bytes(100))
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
    )


def _jpeg(width: int = 64, height: int = 48, *params: int) -> bytes:
    noise = np.random.default_rng(5).integers(0, 256, (height, width, 3), np.uint8)
    ok, encoded = cv2.imencode(".jpg", noise, list(params))
    assert ok
    return encoded.tobytes()


def _with_sof_size(jpeg: bytes, width: int, height: int) -> bytes:
    at = jpeg.index(b"\xff\xc0") + 5  # marker, length, precision, then Y and X
    return jpeg[:at] + struct.pack(">HH", height, width) + jpeg[at + 4 :]


def test_png_and_jpeg_sizes_come_from_the_header() -> None:
    picture = np.zeros((48, 64, 3), np.uint8)
    assert image_size(cv2.imencode(".png", picture)[1].tobytes()) == (64, 48)
    assert image_size(_jpeg()) == (64, 48)
    assert image_size(_jpeg(64, 48, cv2.IMWRITE_JPEG_PROGRESSIVE, 1)) == (64, 48)
    assert image_size(_jpeg(64, 48, cv2.IMWRITE_JPEG_RST_INTERVAL, 2)) == (64, 48)
    assert image_size(cv2.imencode(".bmp", picture)[1].tobytes()) is None, "left to OpenCV"


def test_too_many_pixels_is_refused_with_the_dimensions_and_the_limit() -> None:
    with pytest.raises(RejectedImage) as png:
        check_image(png_header_only(20000, 20000))
    assert str(png.value) == (
        "image is 20000x20000 (400.0 megapixels), over the limit of 50 megapixels"
    )
    with pytest.raises(RejectedImage, match=r"^image is 9000x6000 \(54\.0 megapixels\)"):
        check_image(_with_sof_size(_jpeg(), 9000, 6000))
    check_image(png_header_only(8000, 6000))  # 48 MP: a large photo, under the limit
    assert MAX_PIXELS == 50_000_000


def test_empty_and_malformed_headers() -> None:
    with pytest.raises(RejectedImage, match=r"^empty file \(0 bytes\)$"):
        check_image(b"")
    with pytest.raises(RejectedImage, match="malformed PNG: no IHDR"):
        check_image(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    with pytest.raises(RejectedImage, match="malformed PNG: IHDR gives 0x480"):
        check_image(png_header_only(0, 480))
    with pytest.raises(RejectedImage, match="no frame header"):
        check_image(_with_sof_size(_jpeg(), 64, 0))


def test_a_truncated_jpeg_is_refused() -> None:
    jpeg = _jpeg(320, 240)
    for cut in (len(jpeg) // 2, len(jpeg) - 2, 40):
        with pytest.raises(RejectedImage, match=r"^truncated JPEG"):
            check_image(jpeg[:cut])
    progressive = _jpeg(320, 240, cv2.IMWRITE_JPEG_PROGRESSIVE, 1)
    with pytest.raises(RejectedImage, match="truncated JPEG: no end-of-image marker"):
        check_image(progressive[: len(progressive) * 3 // 4])


def test_only_an_end_of_image_after_the_scan_counts() -> None:
    jpeg = _jpeg(320, 240)
    # An EXIF-like APP1 segment holding a whole thumbnail, EOI included, before the frame.
    thumbnail = _jpeg(16, 16)
    app1 = b"\xff\xe1" + struct.pack(">H", len(thumbnail) + 8) + b"Exif\x00\x00" + thumbnail
    with_thumbnail = jpeg[:2] + app1 + jpeg[2:]
    check_image(with_thumbnail)
    with pytest.raises(RejectedImage, match="truncated JPEG"):
        check_image(with_thumbnail[: len(with_thumbnail) // 2 + len(app1)])
    # Data after the EOI (a phone's motion photo appends a video) is not truncation.
    check_image(jpeg + b"\x00\x00\x00\x18ftypmp42" + bytes(64))


def test_a_file_over_the_size_limit_is_refused_without_being_read(tmp_path: Path) -> None:
    big = tmp_path / "big.jpg"
    with big.open("wb") as file:
        file.truncate(MAX_FILE_BYTES + 1024 * 1024)  # sparse: no disk, no time
    tracemalloc.start()
    try:
        with pytest.raises(RejectedImage) as refused:
            read_image_file(big)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert str(refused.value) == "file too large: 68,157,440 bytes, over the limit of 64 MiB"
    assert peak < 1024 * 1024
    small = tmp_path / "small.jpg"
    small.write_bytes(_jpeg())
    assert read_image_file(small) == small.read_bytes()
    with pytest.raises(RejectedImage, match="file too large"):
        read_image_file(small, max_bytes=100)


def test_reading_a_missing_file_or_a_folder_raises_oserror(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_image_file(tmp_path / "missing.png")
    with pytest.raises(IsADirectoryError):
        read_image_file(tmp_path)


@pytest.mark.parametrize("module", ["edge.scan", "edge.capture", "edge.agent"])
def test_opencv_pixel_limit_is_set_before_opencv_loads(module: str, tmp_path: Path) -> None:
    # OpenCV reads OPENCV_IO_MAX_IMAGE_PIXELS once, when it loads: importing the entry
    # modules first must set it, so formats the header check does not parse are bounded
    # too.  The variable is removed from the environment this test process may have set.
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(png_header_only(20000, 20000))
    script = (
        f"import {module}, cv2, numpy as np, sys\n"
        f"data = np.fromfile(sys.argv[1], np.uint8)\n"
        f"try:\n    cv2.imdecode(data, cv2.IMREAD_COLOR)\n"
        f"except cv2.error as exc:\n    print(exc)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "OPENCV_IO_MAX_IMAGE_PIXELS"}
    done = subprocess.run(
        [sys.executable, "-c", script, str(bomb)], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "pixels <= CV_IO_MAX_IMAGE_PIXELS" in done.stdout
