"""Reviewer and lead pages: queue overview, claim, flag detail, decisions, escalations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from pipeline import review
from pipeline.review.decisions import CLAUSES, LEAD_DECISIONS, REVIEW_DECISIONS
from pipeline.vocabulary import CATEGORIES
from pipeline.web.deps import CsrfChecked, DbSession, Lead, Reviewer
from pipeline.web.rendering import render

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form(max_length=5000)]


@router.get("/queue")
def queue_page(request: Request, user: Reviewer, db: DbSession, empty: int = 0) -> Response:
    return render(
        request,
        "queue.html",
        user,
        stats=review.queue_stats(db),
        claims=review.my_claims(db, user),
        empty=bool(empty),
        categories=CATEGORIES,
    )


@router.post("/queue/claim", dependencies=[CsrfChecked])
def claim(user: Reviewer, db: DbSession) -> RedirectResponse:
    flag = review.claim_next(db, user)
    db.commit()
    return RedirectResponse(f"/flags/{flag.id}" if flag else "/queue?empty=1", status_code=303)


@router.get("/flags/{flag_id}")
def flag_page(request: Request, flag_id: int, user: Reviewer, db: DbSession) -> Response:
    view = review.view_flag(db, flag_id, user)
    db.commit()  # the view is audited
    return render(
        request,
        "flag.html",
        user,
        flag=view,
        decisions=REVIEW_DECISIONS,
        lead_decisions=LEAD_DECISIONS,
        clauses=CLAUSES,
    )


@router.post("/flags/{flag_id}/decide", dependencies=[CsrfChecked])
def decide(
    flag_id: int,
    user: Reviewer,
    db: DbSession,
    decision: Annotated[str, Form(max_length=20)],
    clause: Annotated[str, Form(max_length=40)],
    rationale: Text,
) -> RedirectResponse:
    review.decide(db, flag_id, user, decision=decision, clause=clause, rationale=rationale)
    db.commit()
    return RedirectResponse("/queue", status_code=303)


@router.post("/flags/{flag_id}/release", dependencies=[CsrfChecked])
def release(flag_id: int, user: Reviewer, db: DbSession) -> RedirectResponse:
    review.release(db, flag_id, user)
    db.commit()
    return RedirectResponse("/queue", status_code=303)


@router.get("/escalations")
def escalations_page(request: Request, user: Lead, db: DbSession) -> Response:
    items = review.escalations(db, user)
    db.commit()  # the list is audited
    return render(request, "escalations.html", user, items=items)


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
