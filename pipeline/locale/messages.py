"""Every string marked for translation, from the templates and the Python code.

``marked()`` finds them (Jinja's own extractor for templates, Babel's for Python: ``_``,
``N_``, ``gettext``, ``ngettext``); ``update()`` adds the new ones to the French catalogue with an
empty translation and keeps every translation already there (``make messages``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract
from babel.messages.pofile import read_po, write_po
from jinja2 import Environment

from pipeline import i18n

PACKAGE = Path(__file__).resolve().parent.parent
TEMPLATES = PACKAGE / "web" / "templates"
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}
# the catalogue tooling itself marks nothing
SKIP = {PACKAGE / "locale", PACKAGE / "i18n.py"}


def _template_messages() -> Iterator[tuple[str, str]]:
    env = Environment(extensions=["jinja2.ext.i18n"])
    for path in sorted(TEMPLATES.glob("*.html")):
        for _line, _func, message in env.extract_translations(path.read_text(encoding="utf-8")):
            # a plural (ngettext) is one entry, under its singular
            text = message[0] if isinstance(message, tuple) else message
            if text:
                yield text, f"web/templates/{path.name}"


def _python_messages() -> Iterator[tuple[str, str]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        if any(path == skip or skip in path.parents for skip in SKIP):
            continue
        with path.open("rb") as handle:
            for _line, message, _comments, _context in extract("python", handle, KEYWORDS):
                first = message[0] if isinstance(message, tuple) else message
                if first:
                    yield first, str(path.relative_to(PACKAGE))


def marked() -> dict[str, set[str]]:
    """Each marked message (the singular, for plurals) → the files that mark it."""
    found: dict[str, set[str]] = {}
    for message, where in (*_template_messages(), *_python_messages()):
        found.setdefault(message, set()).add(where)
    return found


def missing() -> dict[str, set[str]]:
    """Marked messages with no French translation (the same test ``gettext`` applies)."""
    translated = i18n.french()
    return {msg: where for msg, where in marked().items() if msg not in translated}


def update(path: Path = i18n.CATALOGUE) -> list[str]:
    """Add every marked message the catalogue lacks (empty French); returns the ones added."""
    with path.open("rb") as handle:
        catalogue: Catalog = read_po(handle, locale="fr")
    added = []
    for message, where in sorted(marked().items()):
        if message not in catalogue:
            catalogue.add(message, "", locations=[(w, None) for w in sorted(where)])
            added.append(message)
    with path.open("wb") as handle:
        write_po(handle, catalogue, width=100, omit_header=False, sort_output=True)
    i18n.catalogue.cache_clear()
    i18n.french.cache_clear()
    return added
