"""Keep the message catalogues in step with the pages: ``python -m hub.web.catalog``.

Extracts every translatable string from the templates and ``hub/web/*.py`` (Babel's
extractors), adds the new ones to each ``locales/<lang>.po`` untranslated, and marks
those no page uses any more as obsolete.  A translator then fills in the empty
``msgstr`` lines; ``tests/hub/web/test_i18n.py`` fails while any is empty.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from hub.web.i18n import LANGUAGES, LOCALES

WEB = Path(__file__).parent
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}


def extract() -> Catalog:
    """Every message the pages use, with where it is used."""
    template = Catalog(project="shekara", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        WEB, METHODS, options_map=OPTIONS
    ):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def update() -> list[Path]:
    """Merge the extracted messages into every language's catalogue."""
    template = extract()
    written = []
    for lang in LANGUAGES:
        if lang == "en":
            continue
        path = LOCALES / f"{lang}.po"
        if path.is_file():
            with path.open("rb") as fh:
                catalog = read_po(fh, locale=lang)
        else:
            catalog = Catalog(locale=lang, project="shekara", charset="utf-8")
        catalog.update(template, no_fuzzy_matching=True)
        with path.open("wb") as fh:
            write_po(fh, catalog, width=100, omit_header=False, sort_output=True)
        written.append(path)
    return written


if __name__ == "__main__":
    for path in update():
        print(f"updated {path}", file=sys.stderr)
