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
    text = text.translate(_APOSTROPHES)
    if text.isascii():  # most posts: nothing to decompose
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


_WORD = re.compile(r"\w+")


def _tokens(folded: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(folded))


@dataclass(frozen=True)
class LexiconMatch:
    """The terms of each group found in one text (as written in the policy)."""

    terms: dict[str, list[str]] = field(default_factory=dict)

    def count(self, group: str) -> int:
        return len(self.terms.get(group, ()))


class Lexicon:
    """Named groups of terms, matched as whole word sequences on folded text.

    Words are runs of letters and digits, so "re-elect" matches "re elect" and "re-elect";
    terms that contain symbols ("$", "% off", ".com") are matched as substrings. Matching
    is a dictionary lookup per word, so a list of thousands of terms costs little.
    """

    def __init__(self, groups: Mapping[str, Iterable[str]]) -> None:
        self._groups: list[str] = []
        self._terms: dict[str, list[str]] = {}
        # first word -> [(words, group, display)], longest first
        self._by_first: dict[str, list[tuple[tuple[str, ...], str, str]]] = {}
        self._symbols: list[tuple[str, str, str]] = []  # (folded, group, display)
        for group, terms in groups.items():
            self._groups.append(group)
            self._terms[group] = []
            seen: set[str] = set()
            for term in terms:
                folded = " ".join(fold(term).split())
                if not folded or folded in seen:  # "élections" and "elections" are one term
                    continue
                seen.add(folded)
                self._terms[group].append(term)
                words = _tokens(folded)
                if not words or re.search(r"[^\w\s'\-]", folded):
                    self._symbols.append((folded, group, term))
                else:
                    self._by_first.setdefault(words[0], []).append((words, group, term))
        for entries in self._by_first.values():
            entries.sort(key=lambda e: -len(e[0]))

    @property
    def groups(self) -> list[str]:
        return list(self._groups)

    def terms(self, group: str) -> list[str]:
        return list(self._terms.get(group, []))

    def match(self, text: str) -> LexiconMatch:
        folded = " ".join(fold(text).split())
        words = _tokens(folded)
        found: dict[str, list[str]] = {}
        for i, word in enumerate(words):
            for term_words, group, display in self._by_first.get(word, ()):
                n = len(term_words)
                if words[i : i + n] == term_words:
                    hits = found.setdefault(group, [])
                    if display not in hits:
                        hits.append(display)
        for folded_term, group, display in self._symbols:
            if folded_term in folded:
                hits = found.setdefault(group, [])
                if display not in hits:
                    hits.append(display)
        return LexiconMatch(found)


@lru_cache(maxsize=1)
def profanity_words() -> tuple[str, ...]:
    """better-profanity's maintained English word list (read from the installed package)."""
    text = resources.files("better_profanity").joinpath("profanity_wordlist.txt").read_text()
    return tuple(w.strip() for w in text.splitlines() if w.strip())
