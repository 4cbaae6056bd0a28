"""The card's language: its fixed texts, and numbers and dates written as that language writes
them (``0,812`` and ``12,5 %`` in French, as in Canada)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pipeline.classify.card import en, fr
from pipeline.errors import InputError

LANGS = ("en", "fr")
_TEXTS = {"en": en.TEXTS, "fr": fr.TEXTS}


def language(lang: str | None) -> str:
    """``en`` or ``fr``; anything else is the user's error, said in one line."""
    value = (lang or "en").strip().lower()
    if value not in LANGS:
        raise InputError(f"language {lang!r}: a model card is written in en or fr")
    return value


def texts(lang: str) -> dict[str, Any]:
    return _TEXTS[language(lang)]


def number(value: float | None, lang: str, digits: int = 3) -> str | None:
    """A decimal as the language writes it; None stays None (the caller says "not measured")."""
    if value is None:
        return None
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if lang == "fr" else text


def count(value: int | None, lang: str) -> str | None:
    if value is None:
        return None
    text = f"{value:,}"
    return text.replace(",", "\u00a0") if lang == "fr" else text


def percent(value: float | None, lang: str) -> str | None:
    if value is None:
        return None
    text = number(100 * value, lang, 1)
    return f"{text}\u00a0%" if lang == "fr" else f"{text}%"


def day(value: str | datetime | None) -> str | None:
    """An ISO date (YYYY-MM-DD), the same in both languages."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.date().isoformat()


def language_name(code: str, lang: str) -> str:
    return texts(lang)["languages"].get(code, code)
