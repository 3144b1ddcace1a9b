"""Time-sortable unique identifiers (ULID: https://github.com/ulid/spec).

26 characters of Crockford base32: 48 bits of Unix milliseconds, then 80 random
bits.  Lexical order is time order to the millisecond, which is what event lists
and dead-letter listings sort by.
"""

from __future__ import annotations

import os
import re
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ULID_PATTERN = r"^[0-7][0-9A-HJKMNP-TV-Z]{25}$"
_ULID_RE = re.compile(ULID_PATTERN)


def new_ulid(now_ms: int | None = None) -> str:
    """Return a new ULID for ``now_ms`` (default: the current time)."""
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    value = (ms << 80) | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def is_ulid(text: str) -> bool:
    """True when ``text`` is a syntactically valid ULID."""
    return bool(_ULID_RE.fullmatch(text))


def ulid_time_ms(text: str) -> int:
    """The millisecond timestamp carried in a ULID."""
    value = 0
    for ch in text[:10]:
        value = value * 32 + _ALPHABET.index(ch)
    return value
