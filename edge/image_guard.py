"""Refuse hostile image files before OpenCV decodes them.

A 1 MB PNG can declare 20000x20000 pixels and decode to 1.2 GB; a JPEG cut short decodes
(through ``cv2.imread``) to a picture whose missing part is grey.  The size is read from
the header alone: the PNG IHDR chunk, which must come first after the signature
(ISO/IEC 15948, 5.2 and 11.2.2: width and height as 4-byte big-endian integers), and the
JPEG SOFn frame header (ITU-T T.81, B.2.2: Y lines then X samples per line, 2 bytes each).
A JPEG without an EOI marker after its first scan is refused as truncated.  Other formats
go to OpenCV, whose own limit (``OPENCV_IO_MAX_IMAGE_PIXELS``) is set here; OpenCV reads
it once, when the library loads, so this module must be imported before ``cv2``.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

# Cameras here are 12 MP at most; 50 MP leaves room for a phone photo given to `scan`.
# Decoding takes 3-8 bytes a pixel, so `scan` of a 50 MP image peaks at 0.4-0.85 GB
# (8-bit RGB to 16-bit RGBA, measured), which a device with a few GB survives; OpenCV's
# own default (2^30 pixels) would let a 1 MB PNG take several GB.
MAX_PIXELS = 50_000_000
# A 12 MP frame is a few MB as JPEG and at most ~36 MB as PNG; refusing bigger files on
# their size means a huge file is never read into memory.
MAX_FILE_BYTES = 64 * 1024 * 1024
_MIB = 1024 * 1024

os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", str(MAX_PIXELS))

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# SOF0-SOF15 except DHT (C4), JPG (C8) and DAC (CC), which share the range (T.81 table B.1).
_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# Markers that stand alone, without a length: TEM, RST0-7, SOI, EOI.
_JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xDA)})
_SOS, _EOI = 0xDA, b"\xff\xd9"


class RejectedImage(ValueError):
    """The file is refused before decoding; the message says why."""


def read_image_file(
    path: Path, max_bytes: int = MAX_FILE_BYTES, max_pixels: int = MAX_PIXELS
) -> bytes:
    """The bytes of ``path`` once they pass :func:`check_image`; OSError if unreadable."""
    with path.open("rb") as file:
        size = os.fstat(file.fileno()).st_size
        if size <= max_bytes:
            # A file can grow after fstat, and a device reports size 0: read one byte
            # past the limit to tell, never more.
            data = file.read(max_bytes + 1)
            size = len(data)
    if size > max_bytes:
        raise RejectedImage(
            f"file too large: {size:,} bytes, over the limit of {max_bytes / _MIB:g} MiB"
        )
    check_image(data, max_pixels)
    return data


def check_image(data: bytes, max_pixels: int = MAX_PIXELS) -> None:
    """Raise RejectedImage if ``data`` is empty, truncated or too many pixels for the limit."""
    if not data:
        raise RejectedImage("empty file (0 bytes)")
    size = image_size(data)
    if size is not None and size[0] * size[1] > max_pixels:
        width, height = size
        raise RejectedImage(
            f"image is {width}x{height} ({width * height / 1e6:.1f} megapixels), "
            f"over the limit of {max_pixels / 1e6:g} megapixels"
        )


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG or JPEG header; None for other formats."""
    if data.startswith(_PNG_SIGNATURE):
        return _png_size(data)
    if data.startswith(b"\xff\xd8"):
        return _jpeg_size(data)
    return None


def _png_size(data: bytes) -> tuple[int, int]:
    if len(data) < 24 or data[12:16] != b"IHDR":
        raise RejectedImage("malformed PNG: no IHDR chunk after the signature")
    width, height = struct.unpack(">II", data[16:24])
    if not width or not height:
        raise RejectedImage(f"malformed PNG: IHDR gives {width}x{height}")
    return width, height


def _jpeg_size(data: bytes) -> tuple[int, int]:
    size: tuple[int, int] | None = None
    at = 2
    while True:
        # Any number of 0xFF fill bytes may precede a marker (T.81 B.1.1.2).
        while at < len(data) and data[at] == 0xFF:
            at += 1
        if at >= len(data):
            raise RejectedImage("truncated JPEG: ends inside its headers")
        if data[at - 1] != 0xFF:
            raise RejectedImage(f"malformed JPEG: no marker at byte {at}")
        marker, at = data[at], at + 1
        if marker in _JPEG_STANDALONE:
            continue
        if at + 2 > len(data):
            raise RejectedImage("truncated JPEG: ends inside its headers")
        (length,) = struct.unpack(">H", data[at : at + 2])
        if marker in _JPEG_SOF and at + 7 <= len(data):
            height, width = struct.unpack(">HH", data[at + 3 : at + 7])
            size = (width, height)
        elif marker == _SOS:
            break
        at += length
    if size is None or not size[0] or not size[1]:
        raise RejectedImage("malformed JPEG: no frame header with a width and a height")
    # Entropy-coded data stuffs every 0xFF with 0x00, so EOI cannot occur by chance; an
    # EXIF thumbnail's EOI sits in an APP segment, which was skipped above.
    if data.find(_EOI, at) < 0:
        raise RejectedImage(f"truncated JPEG: no end-of-image marker ({len(data)} bytes)")
    return size
