"""Cargo labels drawn with zxing-cpp's writer, for fixtures and the simulated lanes.

Identifiers are random from a seeded generator and carry valid check digits (GS1
mod-10, ISO 6346) unless deliberately tampered with.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from datetime import date, timedelta

import cv2
import numpy as np
import zxingcpp
from cv2.typing import MatLike
from stdnum import iso6346

from shekara.codes import gs1_check_digit

Image = MatLike
Rng = np.random.Generator
KINDS = ("sscc", "gs1-datamatrix", "container", "container-qr", "qr", "ean13")
_FONT = cv2.FONT_HERSHEY_SIMPLEX


@dataclass(frozen=True, slots=True)
class Label:
    """A printed label: its picture and what a reader should report for it."""

    kind: str  # one of KINDS
    text: str  # the barcode.read body text: GS1 in "(AI)value" form, else the content
    symbology: str  # zxing-cpp format name
    image: Image = field(repr=False)  # grayscale, white card with quiet zones


# --- identifiers ------------------------------------------------------------------


def _digits(rng: Rng, n: int) -> str:
    return "".join(str(d) for d in rng.integers(0, 10, n))


def make_sscc(rng: Rng) -> str:
    """An 18-digit SSCC with a valid check digit."""
    body = _digits(rng, 17)
    return body + gs1_check_digit(body)


def make_gtin(rng: Rng) -> str:
    """A GTIN-14 with a valid check digit."""
    body = _digits(rng, 13)
    return body + gs1_check_digit(body)


def make_ean13(rng: Rng) -> str:
    """An EAN-13 with a valid check digit (no leading zero: it would read as UPC-A)."""
    body = str(rng.integers(1, 10)) + _digits(rng, 11)
    return body + gs1_check_digit(body)


def make_container_code(rng: Rng) -> str:
    """An ISO 6346 container code, owner + U + serial + valid check digit."""
    owner = "".join(rng.choice(list(string.ascii_uppercase), 3))
    body = owner + "U" + _digits(rng, 6)
    return body + str(iso6346.calc_check_digit(body))


def tamper(key: str) -> str:
    """``key`` with its last (check) digit changed, so the check fails."""
    return key[:-1] + str((int(key[-1]) + 1) % 10)


# --- label renderers --------------------------------------------------------------


def _render(content: str, fmt: zxingcpp.BarcodeFormat, scale: int, gs1: bool = False) -> Image:
    """The symbol alone, quiet zones included; linear ones with their printed digits."""
    barcode = zxingcpp.create_barcode(content, fmt, gs1=gs1)
    linear = fmt in (zxingcpp.Code128, zxingcpp.EAN13)
    return np.array(barcode.to_image(scale=scale, add_hrt=linear))


def _card(symbol: Image, caption: str) -> Image:
    """The symbol on a white card with a caption above, as a label printer makes it."""
    h, w = symbol.shape
    card = np.full((h + 60, max(w, 200) + 40), 255, np.uint8)
    cv2.putText(card, caption, (20, 34), _FONT, 0.8, 0, 2, cv2.LINE_AA)
    card[50 : 50 + h, 20 : 20 + w] = symbol
    return card


def sscc_label(sscc: str, scale: int = 3) -> Label:
    """A GS1-128 logistic label carrying (00) SSCC."""
    hri = f"(00){sscc}"
    return Label(
        "sscc", hri, "Code128", _card(_render(hri, zxingcpp.Code128, scale, gs1=True), "SSCC")
    )


def gs1_datamatrix_label(gtin: str, batch: str, expiry: date, scale: int = 6) -> Label:
    """A GS1 DataMatrix with GTIN, batch/lot and expiry date."""
    hri = f"(01){gtin}(17){expiry:%y%m%d}(10){batch}"
    image = _card(_render(hri, zxingcpp.DataMatrix, scale, gs1=True), f"LOT {batch}")
    return Label("gs1-datamatrix", hri, "DataMatrix", image)


def qr_label(text: str, scale: int = 5) -> Label:
    """A QR code with free text (a consignment note reference, a URL...)."""
    return Label("qr", text, "QRCode", _card(_render(text, zxingcpp.QRCode, scale), "CMR"))


def container_label(code: str, qr: bool = False, scale: int = 3) -> Label:
    """An ISO 6346 container code as Code 128, or as QR text as on terminal stickers."""
    fmt, kind = (zxingcpp.QRCode, "container-qr") if qr else (zxingcpp.Code128, "container")
    printed = iso6346.format(code)
    symbol = _render(code, fmt, scale + 2 if qr else scale)
    return Label(kind, code, "QRCode" if qr else "Code128", _card(symbol, printed))


def ean13_label(ean: str, scale: int = 3) -> Label:
    """An EAN-13 retail barcode."""
    return Label("ean13", ean, "EAN13", _card(_render(ean, zxingcpp.EAN13, scale), "ITEM"))


def random_label(rng: Rng, kind: str, bad_check: bool = False) -> Label:
    """A label of ``kind`` with fresh identifiers; ``bad_check`` spoils its check digit."""
    spoil = tamper if bad_check else (lambda key: key)
    if kind == "sscc":
        return sscc_label(spoil(make_sscc(rng)))
    if kind == "gs1-datamatrix":
        expiry = date(2026, 1, 1) + timedelta(days=int(rng.integers(0, 900)))
        batch = "".join(rng.choice(list(string.ascii_uppercase + string.digits), 6))
        return gs1_datamatrix_label(spoil(make_gtin(rng)), batch, expiry)
    if kind in ("container", "container-qr"):
        return container_label(spoil(make_container_code(rng)), qr=kind == "container-qr")
    if kind == "qr":
        return qr_label(f"CMR-{_digits(rng, 8)}")
    if kind == "ean13":
        return ean13_label(make_ean13(rng))  # a bad EAN check digit is unreadable, not flagged
    raise ValueError(f"unknown label kind {kind!r}; expected one of {KINDS}")
