"""``shekara-edge scan IMAGE... [--json] [--no-plates]``: read the codes and plates in images.

One line per read: JSON objects with ``--json``, readable text otherwise.  A file that
cannot be read gets one line on stderr naming it and the reason; the others are still
scanned and the exit status is 1.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

# Sets OpenCV's pixel limit, which OpenCV reads only when it loads: before cv2.
from edge.image_guard import RejectedImage, read_image_file  # isort: split

import cv2
import numpy as np
from cv2.typing import MatLike

from edge.barcodes import decode
from edge.plate_reader import PlateHit, PlateReader
from shekara.codes import read_body

_BAND_ROWS = 256
_REPORTED = ("text", "symbology_identifier", "decoder", "bbox", "invalid_check_digit", "raw_b64")


class UnreadableImage(Exception):
    """A file is missing, empty, refused (see edge.image_guard) or not decodable."""


def load_image(path: Path) -> MatLike:
    """The picture in ``path`` as 8-bit BGR or gray; transparency is laid on white."""
    try:
        data = read_image_file(path)
    except IsADirectoryError:
        raise UnreadableImage("is a directory") from None
    except OSError as exc:
        raise UnreadableImage(exc.strerror or str(exc)) from None
    except RejectedImage as exc:
        raise UnreadableImage(str(exc)) from None
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if image is None or image.size == 0:
        raise UnreadableImage("not an image format OpenCV can decode")
    if image.dtype == np.uint16:
        np.floor_divide(image, 257, out=image)  # in place: a large image has no copy to spare
        image = image.astype(np.uint8)
    elif image.dtype != np.uint8:
        raise UnreadableImage(f"unsupported pixel type {image.dtype}")
    if image.ndim == 3 and image.shape[2] == 4:
        image = _on_white(image)
    return image


def _on_white(image: MatLike) -> MatLike:
    # Label PNGs are often black bars on transparency: lay them on white paper.  In bands,
    # because the float arithmetic over a whole 50-megapixel picture would take 1.8 GB.
    out = np.empty((*image.shape[:2], 3), np.uint8)
    for top in range(0, image.shape[0], _BAND_ROWS):
        band = image[top : top + _BAND_ROWS]
        alpha = band[:, :, 3:4].astype(np.float32) / 255.0
        out[top : top + _BAND_ROWS] = band[:, :, :3] * alpha + 255.0 * (1.0 - alpha)
    return out


def scan_files(
    paths: Iterable[str | Path], plates: PlateReader | None = None
) -> Iterator[dict[str, Any]]:
    """One record per read; a file that fails gives ``{"file", "error"}`` instead."""
    for name in paths:
        path = Path(name)
        try:
            image = load_image(path)
            reads = decode(image)
            hits = plates.read(_bgr(image)) if plates else []
        except UnreadableImage as exc:
            yield {"file": str(name), "error": str(exc)}
            continue
        except (ValueError, cv2.error) as exc:
            yield {"file": str(name), "error": f"cannot decode: {exc}"}
            continue
        if not reads and not hits:
            yield {"file": str(name), "kind": None}
        for hit in hits:
            yield _plate_record(str(name), hit)
        for read in reads:
            body = read_body(read)
            record: dict[str, Any] = {"file": str(name), "kind": "barcode"}
            record["format"] = body["symbology"]
            record.update((k, body[k]) for k in _REPORTED)
            record.update((k, body[k]) for k in ("gs1", "iso6346") if body[k] is not None)
            yield record


def _bgr(image: MatLike) -> MatLike:
    return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR) if image.ndim == 2 else image


def _plate_record(name: str, hit: PlateHit) -> dict[str, Any]:
    best = hit.readings[0]
    return {
        "file": name,
        "kind": "plate",
        "text": best.text,
        "country": best.country,
        "format": best.format,
        "confidence": hit.confidence,
        "bbox": list(hit.bbox),
        "candidates": [
            {
                "text": r.text,
                "country": r.country,
                "confidence": round(hit.ocr_confidence * r.score, 3),
            }
            for r in hit.readings[:5]
        ],
        "raw_text": hit.raw_text,
    }


def _human(record: dict[str, Any]) -> str:
    if record["kind"] == "plate":
        where = record["country"] or "unknown format"
        return f"{record['file']}: plate {record['text']!r} ({where}, {record['confidence']:.2f})"
    notes = []
    if record.get("gs1"):
        notes.append("GS1")
    if record.get("iso6346"):
        notes.append("ISO 6346")
    if record["invalid_check_digit"]:
        notes.append("CHECK DIGIT WRONG")
    tail = f"  [{', '.join(notes)}]" if notes else ""
    return f"{record['file']}: {record['format']} {record['text']!r}{tail}"


def run_scan(
    paths: list[str],
    as_json: bool,
    out: TextIO | None = None,
    err: TextIO | None = None,
    plates: bool = True,
) -> int:
    """Scan ``paths`` and print the reads; 0 when every file could be read, else 1."""
    out = out or sys.stdout
    err = err or sys.stderr
    failed = 0
    for record in scan_files(paths, PlateReader() if plates else None):
        if "error" in record:
            failed += 1
            print(f"shekara-edge scan: {record['file']}: {record['error']}", file=err)
        elif record["kind"] is None:
            if not as_json:
                print(f"{record['file']}: no code found", file=out)
        elif as_json:
            print(json.dumps(record, ensure_ascii=False), file=out)
        else:
            print(_human(record), file=out)
    return 1 if failed else 0
