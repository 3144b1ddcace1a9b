"""Identifier checks for pre-arrival notifications; each says exactly what is wrong.

Every function takes what a carrier typed and returns it canonical (upper case, no
spaces), or raises :class:`ValueError` with a message naming the rule broken.  The
pydantic models in :mod:`hub.notify.model` use them as validators, so an error
comes back on the field it belongs to.

Rules and where they come from:

* **ISO 6346** container numbers: owner code (3 letters), category (U, J or Z), 6-digit
  serial, check digit (ISO 6346:1995 Annex A; verified with :mod:`stdnum.iso6346`).
* **SSCC**: GS1 AI 00, 18 digits whose last is the GS1 mod-10 check digit (GS1 General
  Specifications §7.9).  "(00)" or "00" in front is accepted and dropped.
* **HS code**: the Harmonized System's 6 digits at least, national subdivisions up to
  10 (EAEU TN VED uses 10).
* **UN number**: 4 digits from the UN Model Regulations list, "UN" optional.
* **MRN** (EU NCTS transit): 2-digit year, 2-letter country, 13 characters, and a check
  character computed over the first 17 by the ISO 6346 algorithm (UCC DA/IA Annex B,
  data element 12 01 000 000).
* **EAEU transit declaration** number: customs office (8 digits) / date DDMMYY / number
  (7 digits), as printed on the declaration.
* **TIR carnet**: 2 letters and 8 digits (the series and number on the carnet's cover).
* **VIN**: 17 characters of ISO 3779, without I, O or Q.  Its ninth-character check digit
  is a North American rule, so it is not enforced here.
"""

from __future__ import annotations

import re
from datetime import datetime

from stdnum import iso6346

from shekara.codes import gs1_check_digit, gs1_check_digit_ok

# ASCII: without it \d also takes "٣" and the like, which no identifier here contains.
_CONTAINER = re.compile(r"^[A-Z]{3}[UJZ]\d{7}$", re.ASCII)
_MRN = re.compile(r"^\d{2}[A-Z]{2}[A-Z0-9]{14}$", re.ASCII)
_EAEU_TRANSIT = re.compile(r"^(\d{8})/(\d{6})/(\d{7})$", re.ASCII)
_TIR = re.compile(r"^[A-Z]{2}\d{8}$", re.ASCII)
_VIN = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$", re.ASCII)
_HS = re.compile(r"^\d{6,10}$", re.ASCII)
_UN = re.compile(r"^\d{4}$", re.ASCII)
# ISO 6346 letter values: A=10, skipping multiples of 11.
_LETTER_VALUE = {c: v for c, v in zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                 [v for v in range(10, 39) if v % 11], strict=True)}  # fmt: skip
_MRN_VALUE = {**{d: int(d) for d in "0123456789"}, **_LETTER_VALUE}


def _compact(text: str) -> str:
    return re.sub(r"[\s\-.]", "", text).upper()


def container_number(text: str) -> str:
    """An ISO 6346 container number, check digit verified."""
    code = _compact(text)
    if not _CONTAINER.match(code):
        raise ValueError(
            f"{text!r} is not a container number: 3 letters, U/J/Z, 6 digits, check digit"
        )
    if not iso6346.is_valid(code):
        raise ValueError(
            f"wrong check digit in container {code}: expected "
            f"{iso6346.calc_check_digit(code[:10])}, got {code[10]}"
        )
    return code


def sscc(text: str) -> str:
    """An SSCC (GS1 AI 00) of 18 digits with its check digit verified."""
    code = _compact(text).replace("(00)", "", 1)
    if len(code) == 20 and code.startswith("00"):
        code = code[2:]
    if not (len(code) == 18 and code.isascii() and code.isdigit()):
        raise ValueError(f"{text!r} is not an SSCC: 18 digits (AI 00)")
    if not gs1_check_digit_ok(code):
        raise ValueError(
            f"wrong check digit in SSCC {code}: expected {gs1_check_digit(code[:17])}, "
            f"got {code[17]}"
        )
    return code


def hs_code(text: str) -> str:
    """A Harmonized System code of 6 to 10 digits."""
    code = _compact(text)
    if not (code.isascii() and code.isdigit()):
        raise ValueError(f"HS code {text!r} must be digits only")
    if not _HS.match(code):
        raise ValueError(f"HS code {code} has {len(code)} digits; at least 6 are needed")
    return code


def un_number(text: str) -> str:
    """A UN dangerous-goods number (4 digits; "UN" in front is accepted)."""
    code = _compact(text).removeprefix("UN")
    if not _UN.match(code) or code == "0000":
        raise ValueError(f"{text!r} is not a UN number: 4 digits, e.g. UN1203")
    return code


def mrn_check_character(first17: str) -> str:
    """The MRN check character: ISO 6346 weighting over the first 17 characters."""
    try:
        total = sum(_MRN_VALUE[c] * 2**i for i, c in enumerate(first17))
    except KeyError as exc:
        raise ValueError(f"MRN character {exc.args[0]!r} is not a digit or a letter A-Z") from None
    return str(total % 11 % 10)


def transit_reference(text: str) -> str:
    """An EU NCTS MRN (check character verified) or an EAEU transit declaration number."""
    code = _compact(text) if "/" not in text else text.replace(" ", "")
    eaeu = _EAEU_TRANSIT.fullmatch(code)  # "$" alone also matches before a final "\n"
    if eaeu:
        try:
            datetime.strptime(eaeu.group(2), "%d%m%y")
        except ValueError:
            raise ValueError(f"{text!r}: {eaeu.group(2)} is not a date DDMMYY") from None
        return code
    if not _MRN.match(code):
        raise ValueError(
            f"{text!r} is neither an MRN (18 characters, e.g. 26KZ...) nor an EAEU "
            "transit number (12345678/211126/1234567)"
        )
    expected = mrn_check_character(code[:17])
    if code[17] != expected:
        raise ValueError(f"wrong check character in MRN {code}: expected {expected}")
    return code


def tir_carnet(text: str) -> str:
    """A TIR carnet number: 2 letters and 8 digits."""
    code = _compact(text)
    if not _TIR.match(code):
        raise ValueError(f"{text!r} is not a TIR carnet number: 2 letters and 8 digits")
    return code


def vin(text: str) -> str:
    """A vehicle identification number (ISO 3779)."""
    code = _compact(text)
    if len(code) != 17:
        raise ValueError(f"a VIN has 17 characters, {text!r} has {len(code)}")
    if not _VIN.match(code):
        raise ValueError(f"VIN {code}: letters I, O and Q and punctuation are not used")
    return code


def seal_number(text: str) -> str:
    """A seal number as printed: 3 to 20 letters and digits."""
    code = _compact(text)
    if not (3 <= len(code) <= 20 and code.isalnum() and code.isascii()):
        raise ValueError(f"seal {text!r}: 3 to 20 Latin letters and digits")
    return code
