"""The message catalogues: every string the pages use is translated, placeholders intact."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

from hub.web.catalog import extract
from hub.web.i18n import LANGUAGES, LOCALES, pick, translations

PLACEHOLDER = re.compile(r"%\((\w+)\)s")
TRANSLATED = [lang for lang in LANGUAGES if lang != "en"]


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_page_string_is_translated(lang: str) -> None:
    with (LOCALES / f"{lang}.po").open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    used = {m.id for m in extract() if m.id}
    done = {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}
    assert sorted(used - set(done)) == [], (
        f"untranslated in {lang}.po: run python -m hub.web.catalog"
    )
    for msgid in used:
        assert set(PLACEHOLDER.findall(msgid)) == set(PLACEHOLDER.findall(done[msgid])), msgid


def test_catalogues_compile_and_translate() -> None:
    assert translations("ru").gettext("Book a slot") == "Забронировать"
    assert translations("kk").gettext("Book a slot") == "Брондау"
    assert translations("tk").gettext("Book a slot") == "Bronlamak"
    assert translations("en").gettext("Book a slot") == "Book a slot"


@pytest.mark.parametrize(
    ("query", "cookie", "accept", "expected"),
    [
        ("kk", "tk", "en", "kk"),
        (None, "tk", "en", "tk"),
        (None, None, "en-GB,en;q=0.9", "en"),
        (None, None, "de-DE, kk;q=0.5", "kk"),
        ("xx", None, None, "ru"),
    ],
)
def test_language_choice_order(
    query: str | None, cookie: str | None, accept: str | None, expected: str
) -> None:
    assert pick(query, cookie, accept) == expected
