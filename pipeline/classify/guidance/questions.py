"""The question a reviewer answers about a post, for each category it was flagged under.

The guidance asks one thing: could a reasonable person doubt that the author can do their work
in a non-partisan and impartial way? Each category asks it about a different kind of post, so
the reviewer reads the question of the categories flagged (a vulgar post is not a partisan
one), with the category's description from the policy. Both are given in the post's language
(the reviewer weighs the post as its readers read it): the policy's descriptions and general
question have both languages, and the category questions here are marked for translation.
A quality sample (no category) gets the policy's general question.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pipeline.classify.guidance.loader import Policy, load_policy
from pipeline.i18n import N_, current, gettext, normalize

QUESTIONS = {
    "partisan": N_(
        "Does the post support or attack a party, a candidate or a party's positions so that "
        "a reasonable person could doubt the author serves any government without partisanship?"
    ),
    "government_policy": N_(
        "Does the post praise or criticize a policy of the government of the day so that a "
        "reasonable person could doubt the author would carry it out impartially?"
    ),
    "vulgar": N_(
        "Is the language vulgar, insulting or demeaning enough that a reasonable person could "
        "doubt the author treats the people they serve with respect?"
    ),
    "self_serving": N_(
        "Does the author promote themselves, solicit, or use their public-service position for "
        "private gain, so that a reasonable person could doubt their impartiality?"
    ),
    "official_languages": N_(
        "Was this official message published in English and in French, at the same time and "
        "of equal quality?"
    ),
}
DESCRIPTIONS = {
    "official_languages": N_(
        "Official accounts publish in both official languages, at the same time and with "
        "equal quality (Official Languages Act)."
    ),
}


def reviewer_questions(
    categories: Iterable[str], lang: str | None = None, policy: Policy | None = None
) -> list[dict[str, Any]]:
    """For each category (once, in order): its description and question in ``lang`` (the
    post's language; the language in effect when it is neither English nor French)."""
    lang = normalize(lang) or current()
    policy = policy or load_policy()
    out = []
    for category in dict.fromkeys(categories):
        spec = policy.spec.categories.get(category)
        if spec is not None:
            description: str | None = getattr(spec.description, lang)
        elif category in DESCRIPTIONS:
            description = gettext(DESCRIPTIONS[category], lang)
        else:
            description = None
        question = (
            gettext(QUESTIONS[category], lang)
            if category in QUESTIONS
            else policy.spec.questions[lang][0]
        )
        out.append(
            {"category": category, "description": description, "question": question, "lang": lang}
        )
    return out
