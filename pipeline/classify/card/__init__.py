"""Model cards: one classifier version described for reviewers, auditors and whoever answers
for the system (``impartial classifier card``, the Reports page).

``model_card`` builds the card as a dict (the JSON form); ``sections`` lays it out as the reader
sees it, and ``render_markdown`` writes that as Markdown. The fixed texts exist in English and
French (``en.py``, ``fr.py``).
"""

from __future__ import annotations

from pipeline.classify.card.build import DEFAULT_DAYS, model_card, summaries
from pipeline.classify.card.layout import Section, Table, sections
from pipeline.classify.card.markdown import render_markdown
from pipeline.classify.card.texts import LANGS, language

__all__ = [
    "DEFAULT_DAYS",
    "LANGS",
    "Section",
    "Table",
    "language",
    "model_card",
    "render_markdown",
    "sections",
    "summaries",
]
