"""Plates as drivers type them: normalised, checked against their country's formats, keyed.

A driver may type ``123 abc 02``, ``123АВС02`` (Cyrillic) or ``123ABO02``: all three
are one Kazakh vehicle.  :func:`booking_plate` normalises (:func:`shekara.plates.normalise`),
fits the text to the formats of the country named (repairing O/0-style slips only
where the format asks) and keys it by :func:`shekara.plates.confusion_key`.  The key
ignores the country, so a plate claimed under another country still collides: a
truck cannot be booked twice by changing the country field.
"""

from __future__ import annotations

import re

from hub.queue.records import BadRequest, Plate
from shekara.plates import confusion_key, formats, normalise, read_plate

_COUNTRY = re.compile(r"^[A-Z]{2,3}$")
_GENERIC = re.compile(r"^[A-Z0-9]{2,10}$")


def countries_with_formats() -> list[str]:
    """Countries whose plates are checked against a format."""
    return sorted({f.country for f in formats()})


def booking_plate(text: str, country: str) -> Plate:
    """A typed plate made canonical; raises :class:`BadRequest` saying what is wrong."""
    code = country.strip().upper()
    if not _COUNTRY.match(code):
        raise BadRequest(f"country {country!r} is not a 2- or 3-letter code", field="country")
    plate = normalise(text)
    if not plate:
        raise BadRequest("the plate is empty", field="plate")
    own = [f for f in formats() if f.country == code]
    if own:
        fits = [r for r in read_plate(plate) if r.country == code]
        if not fits:
            layouts = ", ".join(f.pattern for f in own)
            raise BadRequest(
                f"{text!r} is not a {code} plate (layouts: {layouts}; 9 digit, A letter)",
                field="plate", layouts=layouts,
            )  # fmt: skip
        plate = fits[0].text
    elif not _GENERIC.match(plate):
        raise BadRequest(f"{text!r} is not a plate: 2 to 10 letters and digits", field="plate")
    return Plate(plate, code, confusion_key(plate))
