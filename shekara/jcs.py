"""Canonical JSON per RFC 8785 (JSON Canonicalization Scheme, JCS).

Signed wire messages are signed over these bytes, so another implementation can
reproduce them exactly:

* objects: members sorted by their names compared as UTF-16 code units (RFC 8785
  §3.2.3); no whitespace anywhere;
* strings: UTF-8, with only ``"``, ``\\`` and U+0000..U+001F escaped, the latter as
  ``\\b \\t \\n \\f \\r`` or ``\\u00xx`` in lower-case hex (§3.2.2.2);
* numbers: the ECMAScript ``Number.prototype.toString`` form of the IEEE-754 double
  (§3.2.2.3).  An integer that no double holds exactly is refused, not rounded.
  Parse received JSON with :func:`parse_int` so that integers beyond ±(2**53 - 1) are
  doubles, as I-JSON (RFC 7493) and every JavaScript receiver read them;
* ``true``, ``false``, ``null`` literally.

Lone surrogates, NaN and infinities are refused with :class:`CanonicalizationError`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from json.encoder import encode_basestring as _encode_basestring
from typing import Any

from shekara.errors import CanonicalizationError

MAX_SAFE_INTEGER = 2**53 - 1


def canonical_bytes(value: Any) -> bytes:
    """Return the RFC 8785 encoding of ``value`` as UTF-8 bytes."""
    parts: list[str] = []
    _encode(value, parts)
    try:
        return "".join(parts).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise CanonicalizationError(f"string contains a lone surrogate: {exc.reason}") from None


def _encode(value: Any, out: list[str]) -> None:
    # Strings first: they are most of an event.  bool before int: bool is an int.
    if isinstance(value, str):
        out.append(_string(value))
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        out.append(_integer(value))
    elif isinstance(value, float):
        out.append(number_to_string(value))
    elif isinstance(value, Mapping):
        _object(value, out)
    elif isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _encode(item, out)
        out.append("]")
    else:
        raise CanonicalizationError(f"type {type(value).__name__} has no JSON form")


def _object(value: Mapping[Any, Any], out: list[str]) -> None:
    keys = list(value)
    if not all(isinstance(k, str) for k in keys):
        bad = next(k for k in keys if not isinstance(k, str))
        raise CanonicalizationError(f"object key {bad!r} is not a string")
    # Inside the BMP, code-point order is UTF-16 order; encode keys to UTF-16 only when
    # some key leaves it (one C-level scan instead of one encode per key).
    if max("".join(keys), default="") > "\uffff":
        keys.sort(key=_utf16_key)
    else:
        keys.sort()
    out.append("{")
    for i, key in enumerate(keys):
        if i:
            out.append(",")
        out.append(_string(key))
        out.append(":")
        item = value[key]
        if type(item) is str:
            out.append(_string(item))
        else:
            _encode(item, out)
    out.append("}")


def parse_int(text: str) -> int | float:
    """``json.loads`` hook: integers beyond the safe range are doubles (RFC 7493 §2.2)."""
    value = int(text)
    return value if abs(value) <= MAX_SAFE_INTEGER else float(value)


def _integer(value: int) -> str:
    if abs(value) <= MAX_SAFE_INTEGER:
        return str(value)
    # JCS numbers are doubles: a large integer is fine when a double holds it exactly
    # (a receiver parses 1e16 written as "10000000000000000" back into an int).
    try:
        as_double = float(value)
    except OverflowError:
        as_double = math.inf
    if as_double != value:
        raise CanonicalizationError(f"integer {value} cannot be represented exactly as a double")
    return number_to_string(as_double)


def _utf16_key(key: str) -> bytes:
    return key.encode("utf-16-be", "surrogatepass")


def _string(s: str) -> str:
    # CPython's encoder escapes exactly the RFC 8785 set (quote, backslash, and controls
    # as short escapes or lower-case u00xx) and is ~20x faster than a Python loop; a test
    # checks it against the rule for every code point.  Lone surrogates pass here and are
    # refused by the final UTF-8 encode.
    return _encode_basestring(s)


def number_to_string(x: float) -> str:
    """ECMAScript ``Number.prototype.toString`` for a finite double (ECMA-262 §6.1.6.1.20)."""
    if math.isnan(x) or math.isinf(x):
        raise CanonicalizationError(f"{x} has no JSON form")
    if x == 0:
        return "0"  # also for -0.0
    sign = "-" if x < 0 else ""
    # repr() gives the shortest digit string that round-trips, as ECMAScript requires;
    # only the placement of the decimal point and exponent differs.
    mantissa, _, exp_text = repr(abs(x)).partition("e")
    int_part, _, frac_part = mantissa.partition(".")
    digits = int_part + frac_part
    stripped = digits.lstrip("0")
    n = len(int_part) + (int(exp_text) if exp_text else 0) - (len(digits) - len(stripped))
    digits = stripped.rstrip("0")
    k = len(digits)
    if k <= n <= 21:
        body = digits + "0" * (n - k)
    elif 0 < n <= 21:
        body = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        body = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        body = (
            digits[0]
            + ("." + digits[1:] if k > 1 else "")
            + ("e+" if e >= 0 else "e-")
            + str(abs(e))
        )
    return sign + body
