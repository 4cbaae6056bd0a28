"""Reviewer and lead pages: queue overview, claim, review items, decisions (and their undo),
escalations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from pipeline import i18n, review
from pipeline.errors import InputError
from pipeline.review.decisions import CLAUSES, LEAD_DECISIONS
from pipeline.review.errors import Conflict, NotAllowed, NotFound
from pipeline.vocabulary import CATEGORIES
from pipeline.web.deps import CsrfChecked, DbSession, Lead, Reviewer
from pipeline.web.language import request_lang
from pipeline.web.rendering import render
from pipeline.web.review_page import DecisionForm, decision_form, flash, item_page, take_notice

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form(max_length=5000)]


@router.get("/queue")
def queue_page(request: Request, user: Reviewer, db: DbSession, empty: int = 0) -> Response:
    notice, undo = take_notice(request, user)
    return render(
        request,
        "queue.html",
        user,
        stats=review.queue_stats(db),
        claims=review.my_claims(db, user),
        empty=bool(empty),
        categories=CATEGORIES,
        notice=notice,
        undo=undo,
    )


@router.post("/queue/claim", dependencies=[CsrfChecked])
def claim(
    user: Reviewer, db: DbSession, another: Annotated[str, Form(max_length=10)] = ""
) -> RedirectResponse:
    """The item held, else the next one; ``another`` claims a second item while one is held."""
    flag = review.claim_next(db, user, another=bool(another))
    db.commit()
    return RedirectResponse(f"/flags/{flag.id}" if flag else "/queue?empty=1", status_code=303)


@router.get("/flags/{flag_id}")
def flag_page(request: Request, flag_id: int, user: Reviewer, db: DbSession) -> Response:
    view = review.view_flag(db, flag_id, user)
    db.commit()  # the view is audited
    return item_page(request, user, view)


@router.post("/flags/{flag_id}/decide", dependencies=[CsrfChecked])
def decide(
    request: Request,
    flag_id: int,
    user: Reviewer,
    db: DbSession,
    form: Annotated[DecisionForm, Depends(decision_form)],
) -> Response:
    """Record the decision on the item, then go straight to the next item (with an undo)."""
    try:
        with i18n.use_lang(request_lang(request, user)):
            review.decide(
                db,
                flag_id,
                user,
                decision=form.decision,
                clause=form.clause or None,
                rationale=form.rationale,
                categories=form.categories,
            )
    except InputError as exc:
        if isinstance(exc, (Conflict, NotAllowed, NotFound)):
            raise
        # the form comes back as it was sent, with what to fix: nothing typed is lost
        db.rollback()
        view = review.view_flag(db, flag_id, user)
        db.commit()
        return item_page(request, user, view, status_code=400, error=str(exc), form=form)
    upcoming = review.claim_next(db, user)
    db.commit()
    flash(request, "decided" if upcoming else "decided_last", undo=flag_id)
    return RedirectResponse(f"/flags/{upcoming.id}" if upcoming else "/queue", status_code=303)


@router.post("/flags/{flag_id}/undo", dependencies=[CsrfChecked])
def undo(request: Request, flag_id: int, user: Reviewer, db: DbSession) -> RedirectResponse:
    """Take back a decision made in the last minutes: the item is the reviewer's again."""
    review.undo_decision(db, flag_id, user)
    db.commit()
    flash(request, "undone")
    return RedirectResponse(f"/flags/{flag_id}", status_code=303)


@router.post("/flags/{flag_id}/release", dependencies=[CsrfChecked])
def release(request: Request, flag_id: int, user: Reviewer, db: DbSession) -> RedirectResponse:
    review.release(db, flag_id, user)
    db.commit()
    flash(request, "released")
    return RedirectResponse("/queue", status_code=303)


@router.get("/escalations")
def escalations_page(request: Request, user: Lead, db: DbSession) -> Response:
    items = review.escalations(db, user)
    db.commit()  # the list is audited
    return render(
        request,
        "escalations.html",
        user,
        items=items,
        lead_decisions=LEAD_DECISIONS,
        clauses=CLAUSES,
    )


@router.post("/flags/{flag_id}/close", dependencies=[CsrfChecked])
def close(
    flag_id: int,
    user: Lead,
    db: DbSession,
    decision: Annotated[str, Form(max_length=20)],
    clause: Annotated[str, Form(max_length=40)],
    rationale: Text,
) -> RedirectResponse:
    review.close_escalation(
        db, flag_id, user, decision=decision, clause=clause, rationale=rationale
    )
    db.commit()
    return RedirectResponse("/escalations", status_code=303)


@router.post("/flags/{flag_id}/reopen", dependencies=[CsrfChecked])
def reopen(flag_id: int, user: Lead, db: DbSession, rationale: Text) -> RedirectResponse:
    review.reopen(db, flag_id, user, rationale=rationale)
    db.commit()
    return RedirectResponse("/escalations", status_code=303)


@router.post("/flags/{flag_id}/reveal", dependencies=[CsrfChecked])
def reveal(
    request: Request, flag_id: int, user: Lead, db: DbSession, reason: Text = ""
) -> Response:
    identity = review.reveal_identity(db, flag_id, user, reason=reason)
    db.commit()
    return render(request, "identity.html", user, identity=identity)
