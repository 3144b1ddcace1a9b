"""Interpret decoded barcode content: GS1 element strings and ISO 6346 container codes.

Specifications followed:

* GS1 General Specifications (release 24), §3 for Application Identifiers and
  §7.9 for the mod-10 check digit of GS1 keys: weights 3 and 1 alternate from the
  rightmost data digit; the check digit brings the weighted sum to a multiple of 10.
  SSCC (AI 00) and GTIN (AI 01, 02) check digits are verified here, by that
  algorithm, independently of the parser.
* ISO 6346:1995 for freight-container identification: 3-letter owner code, equipment
  category (U, J, Z; R is tolerated as some reefer lessors print it), 6-digit serial,
  check digit (letters valued 10..38 skipping multiples of 11, weights 2**i, sum mod
  11 mod 10).  Verified with :mod:`stdnum.iso6346`.

Element strings are split with :mod:`biip`, which accepts FNC1/GS-separated content
and the human-readable "(AI)value" form.  A wrong check digit is never rejected nor
silently accepted: the data comes back with ``check_digits_ok`` / ``check_digit_ok``
False, and :func:`barcode_body` sets ``invalid_check_digit``.

When is content GS1?  When the symbol says so: an ISO/IEC 15424 symbology
identifier of GS1-128 (``]C1``), GS1 DataBar (``]e0``), GS1 DataMatrix (``]d2``) or
GS1 QR (``]Q3``), or zxing-cpp content type ``GS1``.  Cheap label printers often
encode an SSCC in plain Code 128 without the FNC1 marker, and pyzbar drops that
marker anyway, so unmarked Code 128 is also read as GS1 when its content is

* ``00`` followed by 18 digits (an SSCC with its AI): a bad check digit is flagged,
  since on a freight label that string is an SSCC in practice;
* 18 digits with a valid SSCC check digit (an SSCC printed without its AI): without
  the AI the check digit is the only evidence, so a failing one means "not an SSCC";
* an element string starting with AI 00, 01 or 02 that contains a GS separator
  (FNC1 in second and later position survives as GS even without the leading one).
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Sequence
from typing import Any, Protocol

from biip import BiipException
from biip.gs1_messages import GS1Message
from stdnum import iso6346

from shekara.wire import BarcodeRead, ContainerCode, GS1Data, GS1Element

log = logging.getLogger(__name__)

GS = "\x1d"
GS1_SYMBOLOGY_IDENTIFIERS = frozenset({"]C1", "]e0", "]d2", "]Q3"})
# AIs whose value ends in a GS1 mod-10 check digit that this module verifies.
_CHECKED_AIS = frozenset({"00", "01", "02"})
_SSCC_WITH_AI = re.compile(r"^00\d{18}$")
_SSCC_BARE = re.compile(r"^\d{18}$")
_UNMARKED_GS1 = re.compile(r"^0[012]\d")
_CONTAINER = re.compile(
    r"(?<![A-Z0-9])([A-Z]{3})\s?([UJZR])[\s-]*(\d{6})[\s-]*(\d)(?![A-Z0-9])", re.ASCII
)


class DecodedSymbol(Protocol):
    """What a decoder reports for one symbol (``edge.barcodes.CodeRead`` is one)."""

    @property
    def symbology(self) -> str: ...
    @property
    def symbology_identifier(self) -> str | None: ...
    @property
    def text(self) -> str: ...
    @property
    def raw(self) -> bytes: ...
    @property
    def decoder(self) -> str: ...
    @property
    def bbox(self) -> Sequence[int] | None: ...
    @property
    def content_type(self) -> str | None: ...
    @property
    def frames(self) -> int: ...


def gs1_check_digit(data: str) -> str:
    """The GS1 mod-10 check digit for ``data`` (the key without its check digit)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(data)))
    return str(-total % 10)


def gs1_check_digit_ok(key: str) -> bool:
    """True when the last digit of the all-digit ``key`` is its GS1 mod-10 check digit."""
    # isascii() too: isdigit() also holds for "²" (int() refuses it) and "٣" (a GS1 key
    # is ASCII digits).
    return (
        len(key) >= 2 and key.isascii() and key.isdigit() and gs1_check_digit(key[:-1]) == key[-1]
    )


def _as_text(content: str | bytes) -> str:
    # Element strings are ISO 646 (a subset of ASCII); latin-1 maps every byte, so
    # foreign bytes become characters biip rejects instead of a decode error here.
    return content.decode("latin-1") if isinstance(content, bytes) else content


def _strip_prefixes(text: str) -> str:
    if len(text) >= 3 and text[0] == "]":
        text = text[3:]
    return text.lstrip(GS)


def interpret_gs1(content: str | bytes) -> GS1Data | None:
    """Split a GS1 element string (raw with GS separators, or "(AI)value") into data.

    Returns None when the content is not a well-formed element string.
    """
    text = _strip_prefixes(_as_text(content))
    if not text:
        return None
    try:
        message = GS1Message.parse_hri(text) if text[0] == "(" else GS1Message.parse(text)
    except (BiipException, ValueError) as exc:
        log.debug("not a GS1 element string: %s", exc)
        return None
    if not message.element_strings:
        return None
    elements = []
    fields: dict[str, str] = {}
    ok = True
    for es in message.element_strings:
        ai = es.ai.ai
        elements.append(GS1Element(ai=ai, title=es.ai.data_title, value=es.value))
        if ai in _CHECKED_AIS and not gs1_check_digit_ok(es.value):
            ok = False
        if ai == "00":
            fields.setdefault("sscc", es.value)
        elif ai == "01":
            fields.setdefault("gtin", es.value)
        elif ai == "10":
            fields.setdefault("batch", es.value)
        elif ai == "17" and es.date is not None:
            fields.setdefault("expiry", es.date.isoformat())
    return GS1Data(elements=elements, check_digits_ok=ok, **fields)


def gs1_hri(data: GS1Data) -> str:
    """The human-readable "(AI)value(AI)value" form of GS1 data."""
    return "".join(f"({e.ai}){e.value}" for e in data.elements)


def interpret_container(text: str) -> ContainerCode | None:
    """Find an ISO 6346 container code in ``text`` ("MSCU 123456 6", "CSQU3054383").

    Returns None when there is none; a wrong check digit is flagged, not rejected.
    """
    match = _CONTAINER.search(text.upper())
    if match is None:
        return None
    owner, category, serial, check = match.groups()
    code = f"{owner}{category}{serial}{check}"
    return ContainerCode(
        code=code,
        owner=owner,
        category=category,
        serial=serial,
        check_digit=check,
        check_digit_ok=iso6346.is_valid(code),
    )


def _unmarked_gs1(text: str) -> GS1Data | None:
    """GS1 data in a Code 128 without the FNC1 marker, by the rules in the module doc."""
    if _SSCC_WITH_AI.match(text):
        return interpret_gs1(text)
    if _SSCC_BARE.match(text):
        return interpret_gs1("00" + text) if gs1_check_digit_ok(text) else None
    if GS in text and _UNMARKED_GS1.match(text):
        return interpret_gs1(text)
    return None


def barcode_body(
    symbology: str,
    symbology_identifier: str | None,
    content_bytes: bytes,
    text: str,
    decoder: str,
    frames: int = 1,
    bbox: Sequence[int] | None = None,
    content_type: str | None = None,
) -> dict[str, Any]:
    """A ``barcode.read`` body, validated against :class:`shekara.wire.BarcodeRead`.

    GS1 content is shown in ``text`` in its "(AI)value" form.
    """
    gs1: GS1Data | None = None
    container: ContainerCode | None = None
    if symbology_identifier in GS1_SYMBOLOGY_IDENTIFIERS or content_type == "GS1":
        gs1 = interpret_gs1(content_bytes or text)
    elif symbology == "Code128":
        gs1 = _unmarked_gs1(_strip_prefixes(text))
    if gs1 is not None:
        text = gs1_hri(gs1)
    else:
        container = interpret_container(text)
    invalid = (gs1 is not None and not gs1.check_digits_ok) or (
        container is not None and not container.check_digit_ok
    )
    body = BarcodeRead(
        symbology=symbology,
        symbology_identifier=symbology_identifier,
        text=text,
        raw_b64=base64.b64encode(content_bytes).decode("ascii"),
        gs1=gs1,
        iso6346=container,
        invalid_check_digit=invalid,
        frames=frames,
        decoder=decoder,
        bbox=list(bbox) if bbox is not None else None,
    )
    return body.model_dump(mode="json")


def read_body(read: DecodedSymbol) -> dict[str, Any]:
    """The ``barcode.read`` body of one decoded (and deduplicated) symbol."""
    return barcode_body(
        read.symbology,
        read.symbology_identifier,
        read.raw,
        read.text,
        read.decoder,
        read.frames,
        read.bbox,
        read.content_type,
    )
