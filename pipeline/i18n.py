"""Both official languages: the French catalogue, the language in effect, and how to mark text.

Text a person reads is written in English in the code and templates and marked for translation:
``_("...")`` in Python and templates, ``{% trans %}...{% endtrans %}`` for longer template text.
The French entries live in ``pipeline/locale/fr/LC_MESSAGES/*.po`` (gettext's format, one file
per part of the product, read with Babel when first needed: no compiled ``.mo`` to keep in step).
``make messages`` adds every new marked string to ``messages.po``; a test fails while one has no
French.

The language in effect is a context variable: the web app sets it per request (the user's
choice, else ``Accept-Language``), the CLI from ``IMPARTIAL_LANG`` or the locale. Code that
renders text calls ``_`` at render time, so a module-level English string is translated where
it is shown (``N_`` marks such constants for extraction without translating them there).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

LANGS = ("en", "fr")
DEFAULT_LANG = "en"
CATALOGUES = Path(__file__).parent / "locale" / "fr" / "LC_MESSAGES"
CATALOGUE = CATALOGUES / "messages.po"  # where new messages are added

_current: ContextVar[str] = ContextVar("impartial_lang", default=DEFAULT_LANG)


def normalize(value: str | None) -> str | None:
    """``fr``, ``fr-CA``, ``fr_CA.UTF-8`` → ``fr``; anything not an official language → None."""
    if not value:
        return None
    code = value.strip().replace("_", "-").split(".")[0].split("-")[0].lower()
    return code if code in LANGS else None


def from_accept_language(header: str | None) -> str | None:
    """The official language the browser prefers most (``Accept-Language``), if it names one."""
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for index, item in enumerate(header.split(",")):
        tag, _sep, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        lang = normalize(tag)
        if lang and quality > 0:
            ranked.append((-quality, index, lang))
    return min(ranked)[2] if ranked else None


def from_environment() -> str:
    """The CLI's language: ``IMPARTIAL_LANG``, else the locale (``LC_ALL``, ``LC_MESSAGES``,
    ``LANG``), else English."""
    for name in ("IMPARTIAL_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        lang = normalize(os.environ.get(name))
        if lang:
            return lang
    return DEFAULT_LANG


def current() -> str:
    return _current.get()


def set_lang(lang: str | None) -> None:
    _current.set(normalize(lang) or DEFAULT_LANG)


@contextmanager
def use_lang(lang: str | None) -> Iterator[str]:
    """Run a block in ``lang`` (an official language; anything else is English)."""
    token = _current.set(normalize(lang) or DEFAULT_LANG)
    try:
        yield _current.get()
    finally:
        _current.reset(token)


@cache
def catalogue() -> Catalog:
    """Every French ``.po`` file of ``CATALOGUES`` as one catalogue (the first entry of a
    message wins; a test keeps the files from disagreeing)."""
    merged = Catalog(locale="fr")
    for path in sorted(CATALOGUES.glob("*.po")):
        with path.open("rb") as handle:
            for message in read_po(handle, locale="fr"):
                if message.id and message.id not in merged:
                    merged[message.id] = message
    return merged


@cache
def french() -> dict[str, str | tuple[str, ...]]:
    """Each message with a complete French translation (every plural form; none fuzzy)."""
    found: dict[str, str | tuple[str, ...]] = {}
    for message in catalogue():
        if not message.id or message.fuzzy:
            continue
        key = message.id[0] if isinstance(message.id, (tuple, list)) else message.id
        if isinstance(message.string, (tuple, list)):
            if all(message.string):
                found[key] = tuple(message.string)
        elif message.string:
            found[key] = message.string
    return found


def gettext(message: str, lang: str | None = None) -> str:
    """``message`` in ``lang`` (default: the language in effect); English when no entry."""
    if (lang or current()) != "fr":
        return message
    found = french().get(message)
    return found if isinstance(found, str) else message


def ngettext(singular: str, plural: str, n: int, lang: str | None = None) -> str:
    if (lang or current()) == "fr":
        found = french().get(singular)
        if isinstance(found, tuple):
            # French: 0 and 1 take the singular
            return found[0] if n <= 1 else found[-1]
    return singular if n == 1 else plural


_ = gettext


def N_(message: str) -> str:
    return message


def other(lang: str | None = None) -> str:
    """The other official language (the toggle's target)."""
    return "en" if (lang or current()) == "fr" else "fr"
