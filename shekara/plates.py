"""Licence-plate text: normalise a reading, fit it to the region's formats, repair confusions.

The formats are data (``plate_formats.toml``).  A reading is normalised (upper case,
no separators, Cyrillic look-alikes and Persian/Arabic-Indic digits mapped to their
Latin/ASCII forms) and then fitted to every format of the same length, slot by slot.
An OCR confusion (O/0, I/1, B/8, S/5, Z/2, G/6) is repaired only where the slot asks
for the other kind of character, and each repair costs score.  Nothing is repaired
where no format says so: an unknown plate keeps its characters as read.

:func:`confusion_key` folds every confusable pair to one character.  Two spellings of
one vehicle ("123ABO02" and "123AB002") share a key, which is what the queue uses to
refuse a second booking.
"""

from __future__ import annotations

import random
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

# Cyrillic letters that look like Latin ones (and Ze, which reads as a 3).
_CYRILLIC_TO_LATIN = str.maketrans("АВЕКМНОРСТУХІЈЗ", "ABEKMHOPCTYXIJ3")
# Persian and Arabic-Indic digits to ASCII.
_DIGITS_TO_ASCII = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
_SEPARATORS = re.compile(r"[\s\-_.·|/]+")

LETTER_FOR_DIGIT = {"0": "O", "1": "I", "8": "B", "5": "S", "2": "Z", "6": "G"}
DIGIT_FOR_LETTER = {"O": "0", "D": "0", "Q": "0", "I": "1", "L": "1", "B": "8", "S": "5",
                    "Z": "2", "G": "6", "T": "7"}  # fmt: skip
ALPHABETS = {
    "latin": frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
    "cyrillic12": frozenset("ABEKMHOPCTYX"),
    "persian": frozenset("بجدسصطقلمنوهیژتعپزشکف"),
}
REPAIR_COST = 0.15
# The text as read always stands as a candidate: one or two repairs to fit a format
# beat it, three do not (a foreign plate is not forced into a regional layout).
GENERIC_SCORE = 0.6


@dataclass(frozen=True, slots=True)
class PlateFormat:
    """One plate layout of one country."""

    country: str
    name: str
    pattern: str
    alphabet: frozenset[str]
    regions: frozenset[str] | None  # None: any region value of the right kind
    region_letters: bool


@dataclass(frozen=True, slots=True)
class PlateReading:
    """A reading fitted to a format (or to none: ``country`` is None)."""

    text: str  # normalised, repaired
    country: str | None
    format: str | None
    score: float  # 1.0 exact fit; lower per repair; GENERIC_SCORE when no format fits
    repairs: int


@cache
def formats() -> tuple[PlateFormat, ...]:
    """The formats in ``plate_formats.toml``."""
    data = tomllib.loads(resources.files("shekara").joinpath("plate_formats.toml").read_text())
    return tuple(
        PlateFormat(
            country=f["country"],
            name=f["name"],
            pattern=f["pattern"],
            alphabet=ALPHABETS[f["alphabet"]],
            regions=frozenset(f["regions"]) if "regions" in f else None,
            region_letters=bool(f.get("region_letters", False)),
        )
        for f in data["format"]
    )


def normalise(text: str) -> str:
    """Upper case, no separators, Latin look-alikes for Cyrillic, ASCII digits."""
    text = text.upper().translate(_CYRILLIC_TO_LATIN).translate(_DIGITS_TO_ASCII)
    return _SEPARATORS.sub("", text)


def _fit_slot(ch: str, slot: str, fmt: PlateFormat) -> tuple[str, int] | None:
    wants_letter = slot == "A" or (slot == "#" and fmt.region_letters)
    wants_digit = slot == "9" or (slot == "#" and not fmt.region_letters)
    if wants_digit:
        # Not isdigit() alone: "²" and "１" pass it, and a plate keeps ASCII digits only.
        if ch.isascii() and ch.isdigit():
            return ch, 0
        return (DIGIT_FOR_LETTER[ch], 1) if ch in DIGIT_FOR_LETTER else None
    if wants_letter:
        if ch in fmt.alphabet:
            return ch, 0
        repaired = LETTER_FOR_DIGIT.get(ch)
        return (repaired, 1) if repaired in fmt.alphabet else None
    return (slot, 0) if ch == slot else None


def slot_chars(fmt: PlateFormat) -> list[str]:
    """The characters each slot of ``fmt`` allows (a region slot: those its regions use there)."""
    digits, letters = "0123456789", "".join(sorted(fmt.alphabet))
    region_at = [i for i, slot in enumerate(fmt.pattern) if slot == "#"]
    out = []
    for i, slot in enumerate(fmt.pattern):
        if slot == "9":
            out.append(digits)
        elif slot == "A":
            out.append(letters)
        elif slot == "#" and fmt.regions is not None:
            k = region_at.index(i)
            out.append("".join(sorted({r[k] for r in fmt.regions})))
        elif slot == "#":
            out.append(letters if fmt.region_letters else digits)
        else:
            out.append(slot)
    return out


def region_ok(text: str, fmt: PlateFormat) -> bool:
    """Whether the region slots of a fitted ``text`` hold one of the format's regions."""
    if fmt.regions is None:
        return True
    return "".join(c for c, s in zip(text, fmt.pattern, strict=True) if s == "#") in fmt.regions


def fit(text: str, fmt: PlateFormat) -> PlateReading | None:
    """Fit a normalised reading to one format, or None when it cannot be made to fit."""
    if len(text) != len(fmt.pattern):
        return None
    out, repairs = [], 0
    for ch, slot in zip(text, fmt.pattern, strict=True):
        fitted = _fit_slot(ch, slot, fmt)
        if fitted is None:
            return None
        out.append(fitted[0])
        repairs += fitted[1]
    plate = "".join(out)
    if not region_ok(plate, fmt):
        return None
    score = max(0.0, 1.0 - REPAIR_COST * repairs)
    return PlateReading(plate, fmt.country, fmt.name, round(score, 3), repairs)


def read_plate(text: str) -> list[PlateReading]:
    """Every way ``text`` fits a format, and the text as read, best first."""
    plate = normalise(text)
    fits = [r for fmt in formats() if (r := fit(plate, fmt)) is not None]
    if 2 <= len(plate) <= 10 and plate.isalnum() and all(r.text != plate for r in fits):
        fits.append(PlateReading(plate, None, None, GENERIC_SCORE, 0))
    fits.sort(key=lambda r: (-r.score, r.country or "", r.format or ""))
    return fits


def random_plate(fmt: PlateFormat, rng: random.Random) -> str:
    """A valid plate of ``fmt`` (for generated test images and property tests)."""
    region = iter(rng.choice(sorted(fmt.regions)) if fmt.regions else "")
    letters = sorted(fmt.alphabet)
    out = []
    for slot in fmt.pattern:
        if slot == "9" or (slot == "#" and fmt.regions is None):
            out.append(rng.choice("0123456789"))
        elif slot == "A":
            out.append(rng.choice(letters))
        elif slot == "#":
            out.append(next(region))
        else:
            out.append(slot)
    return "".join(out)


def confusion_key(text: str) -> str:
    """A key equal for all spellings that differ only by OCR or alphabet confusions."""
    return normalise(text).translate(_CONFUSION_FOLD)


_CONFUSION_FOLD = str.maketrans(
    {letter: digit for letter, digit in DIGIT_FOR_LETTER.items() if letter in "OIBSZG"}
)
