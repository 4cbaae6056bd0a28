"""The reviewer's item page: its decision form, its questions, and the notices between items.

After a decision the reviewer goes straight to the next item; the page says so once (a notice
kept in the signed session cookie until the next page shows it) and offers to undo the
decision for ``undo.UNDO_WINDOW`` (the server checks the window again when asked).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from pipeline import i18n
from pipeline.classify.guidance.questions import reviewer_questions
from pipeline.db.models import AppUser
from pipeline.errors import InputError
from pipeline.i18n import N_
from pipeline.review.decisions import CLAUSES, LEAD_DECISIONS, MAX_RATIONALE, REVIEW_DECISIONS
from pipeline.review.undo import UNDO_WINDOW
from pipeline.review.views import FlagView
from pipeline.web.language import request_lang
from pipeline.web.rendering import render

SESSION_NOTICE = "review_notice"
NOTICES = {
    "decided": N_("Decision recorded — next item"),
    "decided_last": N_("Decision recorded — the queue is empty"),
    "undone": N_("Decision undone: the item is yours again, decide again"),
    "released": N_("Item released: it is back in the queue"),
}
CATEGORY_FIELD = "decision_"  # decision_<category>: a category decided differently


@dataclass
class DecisionForm:
    """The decision form as sent: one decision, a different one for some categories."""

    decision: str = ""
    clause: str = ""
    rationale: str = ""
    categories: dict[str, str] = field(default_factory=dict)


async def decision_form(request: Request) -> DecisionForm:
    """The decision form's fields (``decision_<category>`` fields are as many as the item has
    categories, so they are read from the form itself)."""
    form = await request.form()

    def value(name: str, limit: int) -> str:
        raw = form.get(name)
        text = raw if isinstance(raw, str) else ""
        if len(text) > limit:
            raise InputError(f"{name} is longer than {limit} characters")
        return text

    categories = {
        key[len(CATEGORY_FIELD) :]: value(key, 20)
        for key in form
        if key.startswith(CATEGORY_FIELD) and len(key) <= len(CATEGORY_FIELD) + 40
    }
    return DecisionForm(
        decision=value("decision", 20),
        clause=value("clause", 40),
        rationale=value("rationale", MAX_RATIONALE),
        categories={k: v for k, v in categories.items() if v},
    )


def flash(request: Request, kind: str, *, undo: int | None = None) -> None:
    request.session[SESSION_NOTICE] = {"kind": kind, "undo": undo}


def take_notice(request: Request, user: AppUser) -> tuple[str | None, int | None]:
    """The notice left by the last action (its text in the page's language) and the flag whose
    decision may be undone; each is shown once."""
    notice = request.session.pop(SESSION_NOTICE, None)
    if not isinstance(notice, dict) or notice.get("kind") not in NOTICES:
        return None, None
    text = i18n.gettext(NOTICES[notice["kind"]], request_lang(request, user))
    undo = notice.get("undo")
    return text, undo if isinstance(undo, int) else None


def item_page(
    request: Request,
    user: AppUser,
    view: FlagView,
    *,
    status_code: int = 200,
    error: str | None = None,
    form: DecisionForm | None = None,
) -> Response:
    """The page of a review item: the post once, the question of each category in the post's
    language, the explanation, and the decision form while the user holds the item."""
    notice, undo = take_notice(request, user)
    with i18n.use_lang(request_lang(request, user)):
        questions = reviewer_questions([c["category"] for c in view.categories], view.lang)
    context: dict[str, Any] = {
        "flag": view,
        "questions": questions,
        "decisions": REVIEW_DECISIONS,
        "lead_decisions": LEAD_DECISIONS,
        "clauses": CLAUSES,
        "notice": notice,
        "undo": undo,
        "undo_minutes": int(UNDO_WINDOW.total_seconds() // 60),
        "error": error,
        "form": form or DecisionForm(),
    }
    return render(request, "flag.html", user, status_code=status_code, **context)
