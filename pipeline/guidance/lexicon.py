"""Bilingual term matching: accent- and case-insensitive, whole words, hashtags split.

French and English terms live in one list per group; matching folds accents so "élection",
"election" and "ÉLECTION" all match, and splits camel-case hashtags (#VoteNDP -> vote ndp).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

_HASHTAG = re.compile(r"#(\w+)")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "«": '"', "»": '"'})


def fold(text: str) -> str:
    """Lower case without accents, typographic apostrophes made plain, hashtags split."""
    text = _HASHTAG.sub(lambda m: " " + _CAMEL.sub(" ", m.group(1)) + " ", text)
    decomposed = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _term_pattern(term: str) -> str:
    body = re.escape(term).replace(r"\ ", r"\s+").replace(r"\-", r"[\s-]?")
    # Word boundaries only where the term itself begins or ends with a word character, so
    # symbol terms such as "$" or ".com" still match inside "$50" or "site.com".
    start = r"(?<!\w)" if re.match(r"\w", term) else ""
    end = r"(?!\w)" if re.search(r"\w$", term) else ""
    return f"{start}{body}{end}"


@dataclass(frozen=True)
class LexiconMatch:
    """The terms of each group found in one text (as written in the policy)."""

    terms: dict[str, list[str]] = field(default_factory=dict)

    def count(self, group: str) -> int:
        return len(self.terms.get(group, ()))


class Lexicon:
    """Named groups of terms compiled into one regular expression per group."""

    def __init__(self, groups: Mapping[str, Iterable[str]]) -> None:
        self._display: dict[str, dict[str, str]] = {}
        self._patterns: dict[str, re.Pattern[str]] = {}
        for group, terms in groups.items():
            display: dict[str, str] = {}
            for term in terms:
                folded = fold(term).strip()
                if folded:
                    display.setdefault(folded, term)
            self._display[group] = display
            if display:
                ordered = sorted(display, key=len, reverse=True)
                self._patterns[group] = re.compile(
                    "|".join(f"({_term_pattern(t)})" for t in ordered)
                )
                self._display[group] = {t: display[t] for t in ordered}

    @property
    def groups(self) -> list[str]:
        return list(self._display)

    def terms(self, group: str) -> list[str]:
        return list(self._display.get(group, {}).values())

    def match(self, text: str) -> LexiconMatch:
        folded = fold(text)
        found: dict[str, list[str]] = {}
        for group, pattern in self._patterns.items():
            hits: list[str] = []
            for m in pattern.finditer(folded):
                term = " ".join(m.group(0).split())
                if term not in hits:
                    hits.append(term)
            if hits:
                found[group] = hits
        return LexiconMatch(found)


@lru_cache(maxsize=1)
def profanity_words() -> tuple[str, ...]:
    """better-profanity's maintained English word list (read from the installed package)."""
    text = resources.files("better_profanity").joinpath("profanity_wordlist.txt").read_text()
    return tuple(w.strip() for w in text.splitlines() if w.strip())
