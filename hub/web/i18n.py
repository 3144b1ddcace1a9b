"""Languages of the pages: Russian, Kazakh, Turkmen and English, from Babel message catalogues.

The catalogues are plain ``.po`` files in ``hub/web/locales/`` (English is the source
text, so it needs none).  They are compiled in memory when the hub starts: no build
step, and a translator edits one text file.  The language comes from ``?lang=``, then
the ``lang`` cookie the switcher sets, then the browser's Accept-Language, then
Russian (what most drivers at Temirbaba read).  Times are shown in the checkpoint's
zone with each locale's own formats (Babel's CLDR data).
"""

from __future__ import annotations

import io
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES = Path(__file__).with_name("locales")
LANGUAGES = {"ru": "Русский", "kk": "Қазақша", "tk": "Türkmençe", "en": "English"}
DEFAULT = "ru"


@cache
def translations(lang: str) -> NullTranslations:
    """The compiled catalogue of ``lang`` (English: the source text)."""
    path = LOCALES / f"{lang}.po"
    if lang == "en" or not path.is_file():
        return NullTranslations()
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def pick(query: str | None, cookie: str | None, accept: str | None) -> str:
    """The page language: query, then cookie, then Accept-Language, then Russian."""
    for candidate in (query, cookie):
        if candidate in LANGUAGES:
            return candidate
    for part in (accept or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return DEFAULT


def when(moment: datetime | None, lang: str, zone: ZoneInfo, short: bool = False) -> str:
    """A time in the checkpoint's zone, in the language's format."""
    if moment is None:
        return "—"
    locale = "en_GB" if lang == "en" else lang  # day before month, 24-hour clock
    if short:
        return format_time(moment, "HH:mm", tzinfo=zone, locale=locale)
    return format_datetime(moment, "d MMM, HH:mm", tzinfo=zone, locale=locale)
