"""What a certificate's QR code holds, and the code itself (segno, ISO/IEC 18004).

The code holds the compact bundle JSON when it fits one QR symbol at error level M
(up to version 40: 2,331 bytes), so a hand scanner at the other side's terminal reads a
bundle that verifies with no network at all.  The text is ASCII (JSON escapes the
signature lines' em dash and any Cyrillic): QR byte mode carries no charset, and hand
scanners typing into a text box mangle non-ASCII.  A bigger bundle (many SSCCs, a long
proof) gives way to the verify page's URL with the body's SHA-256, which finds it.
"""

from __future__ import annotations

import segno

from hub.cert.bundle import Bundle

ERROR = "m"


def payload(bundle: Bundle, public_url: str) -> str:
    """The text the QR code carries."""
    compact = bundle.to_json(ascii_only=True)
    try:
        segno.make(compact, error=ERROR, micro=False, boost_error=False)
    except segno.DataOverflowError:
        return f"{public_url.rstrip('/')}/verify?leaf={bundle.body_sha256}"
    return compact


def svg(text: str) -> str:
    """An inline SVG of the QR code of ``text``, scalable to any print size."""
    code = segno.make(text, error=ERROR, micro=False, boost_error=False)
    markup: str = code.svg_inline(scale=4, border=4, omitsize=True, title="Certificate QR code")
    return markup
