"""Read every barcode in a camera frame: zxing-cpp first, then rescue passes.

The cascade, as measured by ``bench/bench_barcodes.py`` (383 zxing-cpp samples and
synthetic 1280x720 lane frames, 2-core x86):

1. zxing-cpp with its defaults (all formats, local-average binarizer, rotations,
   inversions, downscaled pyramid): 347/383 samples, about 2 ms a sample and
   15-20 ms a 720p frame.
2. Only when 1 read nothing: pyzbar over EAN/UPC, QR and Code 128, where it reads
   what zxing-cpp misses (+14 samples, mostly EAN-13; +3 to +4 of 20 defocused
   Code 128 labels).  All its other symbologies add nothing and cost more.
3. Only when still nothing and the image is small (a crop or a still, at most
   :data:`RESCUE_MAX_PIXELS`): zxing-cpp on a 2x upscale (+3), then on a
   CLAHE-equalised copy (+2).  On a full lane frame each would cost 5-10 times the
   first pass, and a label in a lane stays in view for many frames anyway.

The cascade stops at the first pass that reads something, so a frame with a readable
code costs one zxing-cpp call; an empty 720p frame costs zxing-cpp plus pyzbar, about
2-3 times zxing-cpp alone.  :data:`FAST_PASSES` is zxing-cpp only, for a device that
cannot pay that on every empty frame.  Frames are OpenCV BGR, BGRA or gray arrays.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import zxingcpp
from cv2.typing import MatLike
from pyzbar import pyzbar

log = logging.getLogger(__name__)

Gray = MatLike
RESCUE_MAX_PIXELS = 640 * 480
ZXING = "zxing-cpp"
PYZBAR = "pyzbar"

# zbar type names -> zxing-cpp format names, so every read names symbologies one way.
_ZBAR_NAMES = {
    "EAN13": "EAN13",
    "EAN8": "EAN8",
    "UPCA": "UPCA",
    "UPCE": "UPCE",
    "QRCODE": "QRCode",
    "CODE128": "Code128",
    "CODE39": "Code39",
    "CODE93": "Code93",
    "I25": "ITF",
    "CODABAR": "Codabar",
    "DATABAR": "DataBar",
    "DATABAR_EXP": "DataBarExp",
    "PDF417": "PDF417",
}
# 2D and stacked symbologies; everything else zxing-cpp reads is linear (one row of bars).
_MATRIX = frozenset(
    {"QRCode", "MicroQRCode", "RMQRCode", "DataMatrix", "Aztec", "MaxiCode", "PDF417"}
)
RESCUE_ZBAR_SYMBOLS = (
    pyzbar.ZBarSymbol.EAN13,
    pyzbar.ZBarSymbol.EAN8,
    pyzbar.ZBarSymbol.UPCA,
    pyzbar.ZBarSymbol.UPCE,
    pyzbar.ZBarSymbol.QRCODE,
    pyzbar.ZBarSymbol.CODE128,
)


@dataclass(frozen=True, slots=True)
class CodeRead:
    """One decoded symbol in a frame."""

    symbology: str  # zxing-cpp format name, e.g. "Code128", "QRCode", "EAN13"
    symbology_identifier: str | None  # ISO/IEC 15424, e.g. "]C1"; None when unknown
    text: str  # the content as text, control characters (GS) kept
    raw: bytes  # the content bytes as decoded
    decoder: str  # "zxing-cpp" or "pyzbar"
    bbox: tuple[int, int, int, int]  # x, y, width, height in frame pixels
    content_type: str  # zxing-cpp ContentType name: "Text", "GS1", "Binary"...
    frames: int = 1  # frames the code was seen in; edge.dedup sets it on what it emits


Pass = Callable[[Gray], list[CodeRead]]


def to_gray(frame: MatLike) -> Gray:
    """A grayscale view of a BGR, BGRA or gray uint8 frame."""
    if frame.dtype != np.uint8 or frame.ndim not in (2, 3) or frame.size == 0:
        raise ValueError(f"expected a non-empty uint8 image, got {frame.dtype} {frame.shape}")
    if frame.ndim == 2:
        return np.ascontiguousarray(frame)
    channels = frame.shape[2]
    if channels == 1:
        return np.ascontiguousarray(frame[:, :, 0])
    if channels == 3:
        return cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    if channels == 4:
        return cv2.cvtColor(frame, cv2.COLOR_BGRA2GRAY)
    raise ValueError(f"expected 1, 3 or 4 channels, got {channels}")


def _zxing_reads(gray: Gray, scale: float = 1.0) -> list[CodeRead]:
    found = zxingcpp.read_barcodes(gray, text_mode=zxingcpp.TextMode.Plain)
    reads = []
    for barcode in found:
        pos = barcode.position
        xs = [pos.top_left.x, pos.top_right.x, pos.bottom_right.x, pos.bottom_left.x]
        ys = [pos.top_left.y, pos.top_right.y, pos.bottom_right.y, pos.bottom_left.y]
        x0, y0 = round(min(xs) / scale), round(min(ys) / scale)
        reads.append(
            CodeRead(
                symbology=barcode.format.name,
                symbology_identifier=barcode.symbology_identifier or None,
                text=barcode.text,
                raw=bytes(barcode.bytes),
                decoder=ZXING,
                bbox=(x0, y0, round(max(xs) / scale) - x0, round(max(ys) / scale) - y0),
                content_type=barcode.content_type.name,
            )
        )
    return reads


def read_zxing(gray: Gray) -> list[CodeRead]:
    """zxing-cpp with its default search (rotations, inversions, downscaling)."""
    return _zxing_reads(gray)


def read_pyzbar(gray: Gray, symbols: Sequence[pyzbar.ZBarSymbol] | None = None) -> list[CodeRead]:
    """pyzbar (ZBar), over ``symbols`` or every symbology it knows."""
    reads = []
    for found in pyzbar.decode(gray, symbols=symbols):
        raw = bytes(found.data)
        try:
            text, content_type = raw.decode("utf-8"), "Text"
        except UnicodeDecodeError:
            text, content_type = raw.decode("latin-1"), "Binary"
        rect = found.rect
        reads.append(
            CodeRead(
                symbology=_ZBAR_NAMES.get(found.type, found.type),
                symbology_identifier=None,  # zbar does not say whether FNC1/ECI were present
                text=text,
                raw=raw,
                decoder=PYZBAR,
                bbox=(rect.left, rect.top, rect.width, rect.height),
                content_type=content_type,
            )
        )
    return reads


def read_pyzbar_rescue(gray: Gray) -> list[CodeRead]:
    """pyzbar over the symbologies where it adds reads to zxing-cpp (EAN/UPC, QR, Code 128)."""
    return read_pyzbar(gray, RESCUE_ZBAR_SYMBOLS)


def read_zxing_upscaled(gray: Gray) -> list[CodeRead]:
    """zxing-cpp on a 2x bicubic upscale, for symbols with modules of 1-2 pixels."""
    if gray.size > RESCUE_MAX_PIXELS:
        return []
    big = cv2.resize(gray, None, fx=2.0, fy=2.0, interpolation=cv2.INTER_CUBIC)
    return _zxing_reads(big, scale=2.0)


def read_zxing_equalised(gray: Gray) -> list[CodeRead]:
    """zxing-cpp after CLAHE, for faded or unevenly lit symbols."""
    if gray.size > RESCUE_MAX_PIXELS:
        return []
    return _zxing_reads(cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)).apply(gray))


# For a device that cannot afford the rescue passes on every empty frame.
FAST_PASSES: tuple[Pass, ...] = (read_zxing,)
DEFAULT_PASSES: tuple[Pass, ...] = (
    read_zxing,
    read_pyzbar_rescue,
    read_zxing_upscaled,
    read_zxing_equalised,
)


def decode(frame: MatLike, passes: Sequence[Pass] = DEFAULT_PASSES) -> list[CodeRead]:
    """Every code read in ``frame``: the result of the first pass that reads any."""
    gray = to_gray(frame)
    for step, read in enumerate(passes):
        reads = read(gray)
        if reads:
            if step:
                log.debug("%s rescued %d read(s)", getattr(read, "__name__", read), len(reads))
            return _unique(reads)
    return []


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    """Intersection over the smaller box's area."""
    w = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    h = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    smaller = min(a[2] * a[3], b[2] * b[3])
    return max(0, w) * max(0, h) / smaller if smaller > 0 else 0.0


def _unique(reads: list[CodeRead]) -> list[CodeRead]:
    """Drop repeated reads, and misreads of a linear symbol another read covers.

    zxing-cpp reads a tilted linear symbol row by row; rarely, a few rows agree on
    content that still passes the symbol checksum.  That read lies inside the true
    one, confirmed over fewer rows: of two different linear reads of one symbology
    sharing most of their area, the one with the larger box is kept.  2D symbols can
    legitimately nest (a QR inside a QR), so they are left alone.
    """
    by_area = sorted(reads, key=lambda r: r.bbox[2] * r.bbox[3], reverse=True)
    kept: list[CodeRead] = []
    for r in by_area:
        if any(k.symbology == r.symbology and k.raw == r.raw for k in kept):
            continue
        linear = r.symbology not in _MATRIX
        if linear and any(
            k.symbology == r.symbology and _overlap(k.bbox, r.bbox) > 0.5 for k in kept
        ):
            log.debug("dropped %s %r inside a larger read", r.symbology, r.text)
            continue
        kept.append(r)
    kept_ids = {id(k) for k in kept}
    out = []
    for r in reads:  # in the decoder's order, each kept object once
        if id(r) in kept_ids:
            kept_ids.discard(id(r))
            out.append(r)
    return out
