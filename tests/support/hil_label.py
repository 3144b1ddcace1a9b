"""The hardware-in-the-loop test label: one sheet the engineer prints, and the reads it must give.

The sheet carries a GS1-128 SSCC logistic label and a QR code, drawn by the project's own
label code (edge.labels), with fixed contents so the HIL test knows what to expect.  The
virtual camera of the CI variant films the very same sheet.

Print it::

    .venv/bin/python -m tests.hil.label hil-label.png

at 100 % (no "fit to page") on A4: the sheet is about 16 x 16 cm and the narrowest bar
0.76 mm wide, as on a real logistic label.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from edge.labels import qr_label, sscc_label
from shekara.codes import gs1_check_digit

SSCC_BODY = "04600012345678"  # a made-up extension digit, GS1 prefix and serial
SSCC = "000" + SSCC_BODY + gs1_check_digit("000" + SSCC_BODY)
QR_TEXT = "SHEKARA-HIL-LABEL-1"
PRINT_DPI = 200  # pixels per inch of the PNG when printed at 100 %
UPSCALE = 2  # edge.labels draws 3 px per module; 6 px is 0.76 mm at PRINT_DPI
_FONT = cv2.FONT_HERSHEY_SIMPLEX


@dataclass(frozen=True, slots=True)
class Sheet:
    """The printable sheet and what a reader must report for it."""

    image: np.ndarray  # grayscale, white paper
    expected: dict[str, str]  # barcode.read text -> symbology


def sheet() -> Sheet:
    """The HIL test sheet (always the same pixels)."""
    labels = [sscc_label(SSCC), qr_label(QR_TEXT)]
    # Nearest-neighbour upscaling keeps every bar edge sharp for the printer.
    parts = [
        cv2.resize(label.image, None, fx=UPSCALE, fy=UPSCALE, interpolation=cv2.INTER_NEAREST)
        for label in labels
    ]
    margin = 60
    width = max(p.shape[1] for p in parts) + 2 * margin
    height = 140 + sum(p.shape[0] + margin for p in parts)
    page = np.full((height, width), 255, np.uint8)
    cv2.putText(page, "Shekara HIL test label - print at 100%", (margin, 80), _FONT, 1.2, 0, 2,
                cv2.LINE_AA)  # fmt: skip
    y = 140
    for part in parts:
        h, w = part.shape
        page[y : y + h, margin : margin + w] = part
        y += h + margin
    return Sheet(page, {label.text: label.symbology for label in labels})


def write(path: Path) -> Sheet:
    """Write the sheet as a PNG; returns it."""
    made = sheet()
    if not cv2.imwrite(str(path), made.image):
        raise OSError(f"cannot write {path}")
    return made


def main(argv: list[str] | None = None) -> int:
    """``python -m tests.hil.label OUT.png``: write the printable HIL label."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.hil.label", description="Write the printable HIL test label."
    )
    parser.add_argument("out", type=Path, help="PNG file to write")
    args = parser.parse_args(argv)
    made = write(args.out)
    height, width = made.image.shape
    print(f"{args.out}: {width}x{height} px; print at 100 % "
          f"({width / PRINT_DPI * 25.4:.0f} x {height / PRINT_DPI * 25.4:.0f} mm at "
          f"{PRINT_DPI} dpi)")  # fmt: skip
    for text, symbology in made.expected.items():
        print(f"  {symbology}: {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
