"""The JSON API under /api: the same operations as the pages, same roles, same audit.

Authenticate by signing in at /login (the session cookie); every POST needs the session's CSRF
token (from GET /api/me) in the ``X-CSRF-Token`` header.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from pipeline import review as queue
from pipeline.audit.search import search_audited
from pipeline.classify.guidance.questions import reviewer_questions
from pipeline.classify.selfcheck import check_text
from pipeline.reports.audited import view_report
from pipeline.reports.runner import list_reports
from pipeline.review.reveals import MAX_REASON_CHARS
from pipeline.web.deps import (
    AnyUser,
    AuditFilters,
    Auditor,
    CsrfChecked,
    DbSession,
    Employee,
    Lead,
    ReportReader,
    Reviewer,
    read_report,
)
from pipeline.web.security import csrf_token

router = APIRouter(prefix="/api", tags=["review"])


ReviewDecision = Literal["no_concern", "advise", "escalate"]


class DecisionCreate(BaseModel):
    decision: ReviewDecision = Field(description="The decision for every category of the item.")
    clause: str | None = Field(
        default=None,
        max_length=40,
        description="Guidance clause applied to every category; by default each its own.",
    )
    rationale: str = Field(
        default="",
        max_length=5000,
        description="Why, in a sentence: needed to advise or escalate, not for no_concern. "
        "The employee reads it word for word.",
    )
    categories: dict[str, ReviewDecision] = Field(
        default_factory=dict,
        description='A different decision for some categories, e.g. {"vulgar": "advise"}.',
    )


class ClaimRequest(BaseModel):
    another: bool = Field(default=False, description="Claim a new item even while one is held.")


class EscalationClose(BaseModel):
    decision: Literal["advise", "refer", "no_concern"]
    clause: str = Field(max_length=40)
    rationale: str = Field(min_length=1, max_length=5000)


class Reopen(BaseModel):
    rationale: str = Field(min_length=1, max_length=5000)


class Reveal(BaseModel):
    reason: str = Field(
        min_length=1,
        max_length=MAX_REASON_CHARS,
        description="Why the author's identity is needed; kept in the audit log.",
    )


class ResponseCreate(BaseModel):
    kind: Literal["comment", "contest"]
    body: str = Field(min_length=1, max_length=5000)


class SelfCheck(BaseModel):
    text: str = Field(min_length=1, max_length=10_000)
    audience: int | None = Field(default=None, ge=0)
    seniority: str | None = Field(default=None, max_length=20)


class FlagRef(BaseModel):
    flag_id: int | None


def _reviews(reviews: list[Any]) -> dict[str, Any]:
    return {"flag_ids": [r.flag_id for r in reviews], "decision": reviews[0].decision}


@router.get("/me")
def me(request: Request, user: AnyUser) -> dict[str, Any]:
    """Who is signed in, and the CSRF token to send on POSTs."""
    return {"email": user.email, "role": user.role, "csrf_token": csrf_token(request)}


@router.get("/queue/stats")
def stats(user: Reviewer, db: DbSession) -> dict[str, Any]:
    """Queued flags by category and age; claimed and escalated counts."""
    return queue.queue_stats(db)


@router.get("/queue/mine")
def mine(user: Reviewer, db: DbSession) -> list[dict[str, Any]]:
    """The flags I hold under a running lease."""
    return queue.my_claims(db, user)


@router.post("/queue/claim", dependencies=[CsrfChecked])
def claim(user: Reviewer, db: DbSession, body: ClaimRequest | None = None) -> FlagRef:
    """The item I hold, else claim the next one (highest risk, then oldest: a post with all
    its open flags); the riskiest flag's id, null when the queue is empty."""
    flag = queue.claim_next(db, user, another=bool(body and body.another))
    db.commit()
    return FlagRef(flag_id=flag.id if flag else None)


@router.get("/flags/{flag_id}")
def flag(flag_id: int, user: Reviewer, db: DbSession) -> dict[str, Any]:
    """The blind view of the item of a flag I hold (any flag for a lead), with the question of
    each category in the post's language; audited."""
    view = queue.view_flag(db, flag_id, user)
    db.commit()
    questions = reviewer_questions([c["category"] for c in view.categories], view.lang)
    return {**view.as_dict(), "questions": questions}


@router.post("/flags/{flag_id}/decide", dependencies=[CsrfChecked])
def decide(flag_id: int, body: DecisionCreate, user: Reviewer, db: DbSession) -> dict[str, Any]:
    """Decide the item I hold: one review per flag, each covering its cross-post group."""
    reviews = queue.decide(
        db,
        flag_id,
        user,
        decision=body.decision,
        clause=body.clause,
        rationale=body.rationale,
        categories=body.categories,
    )
    db.commit()
    return {**_reviews(reviews), "decisions": {r.flag_id: r.decision for r in reviews}}


@router.post("/flags/{flag_id}/undo", dependencies=[CsrfChecked])
def undo(flag_id: int, user: Reviewer, db: DbSession) -> dict[str, Any]:
    """Undo my decision on the item of a flag, within minutes of it: the item is mine again."""
    flags = queue.undo_decision(db, flag_id, user)
    db.commit()
    return {"flag_ids": [f.id for f in flags]}


@router.post("/flags/{flag_id}/release", dependencies=[CsrfChecked])
def release(flag_id: int, user: Reviewer, db: DbSession) -> FlagRef:
    """Give the item I hold back to the queue."""
    queue.release(db, flag_id, user)
    db.commit()
    return FlagRef(flag_id=flag_id)


@router.get("/escalations")
def escalations(user: Lead, db: DbSession) -> list[dict[str, Any]]:
    """Escalated flags with the employees' responses (lead); audited."""
    items = queue.escalations(db, user)
    db.commit()
    return items


@router.post("/flags/{flag_id}/close", dependencies=[CsrfChecked])
def close(flag_id: int, body: EscalationClose, user: Lead, db: DbSession) -> dict[str, Any]:
    """Close an escalation: advise, refer or no_concern (lead)."""
    reviews = queue.close_escalation(
        db, flag_id, user, decision=body.decision, clause=body.clause, rationale=body.rationale
    )
    db.commit()
    return _reviews(reviews)


@router.post("/flags/{flag_id}/reopen", dependencies=[CsrfChecked])
def reopen(flag_id: int, body: Reopen, user: Lead, db: DbSession) -> dict[str, Any]:
    """Send a closed or escalated flag back to the queue (lead)."""
    reviews = queue.reopen(db, flag_id, user, rationale=body.rationale)
    db.commit()
    return _reviews(reviews)


@router.post("/flags/{flag_id}/reveal", dependencies=[CsrfChecked])
def reveal(flag_id: int, body: Reveal, user: Lead, db: DbSession) -> dict[str, Any]:
    """Who wrote an escalated flag's post, with the reason it is needed (a lead other than the
    one who escalated it); every reveal and its reason are audited."""
    identity = queue.reveal_identity(db, flag_id, user, reason=body.reason)
    db.commit()
    return identity


@router.get("/audit")
def audit_events(
    user: Auditor,
    db: DbSession,
    query: AuditFilters,
    limit: int = Query(200, ge=1, le=10_000),
) -> list[dict[str, Any]]:
    """Search the audit log (auditor); the search itself is audited."""
    events = search_audited(
        db, query.filters(), reader=f"user:{user.email}", reader_user_id=user.id, limit=limit
    )
    db.commit()
    return events


@router.get("/me/flags")
def own_flags(user: Employee, db: DbSession) -> list[dict[str, Any]]:
    """Flags about my own posts and their decisions (employee)."""
    return queue.own_flags(db, user)


@router.post("/me/flags/{flag_id}/respond", dependencies=[CsrfChecked])
def respond(flag_id: int, body: ResponseCreate, user: Employee, db: DbSession) -> FlagRef:
    """Add my side, or contest a decision; shown to the lead (employee)."""
    queue.respond(db, flag_id, user, kind=body.kind, body=body.body)
    db.commit()
    return FlagRef(flag_id=flag_id)


@router.post("/selfcheck", dependencies=[CsrfChecked])
def selfcheck(body: SelfCheck, user: AnyUser, db: DbSession) -> dict[str, Any]:
    """Check a draft before posting: categories, risk, explanation and the reasonable-person
    questions. The draft is neither stored nor logged."""
    return check_text(body.text, audience=body.audience, seniority=body.seniority, session=db)


@router.get("/reports")
def report_list(user: ReportReader) -> list[dict[str, str]]:
    """The reports there are (auditor, lead, admin)."""
    return [
        {"name": r.name, "title": r.title, "description": r.description} for r in list_reports()
    ]


@router.get("/reports/{name}")
def report(
    request: Request,
    name: str,
    user: ReportReader,
    db: DbSession,
    date_from: str | None = Query(None, alias="from", description="First day, YYYY-MM-DD."),
    date_to: str | None = Query(None, alias="to", description="Last day, YYYY-MM-DD, included."),
) -> dict[str, Any]:
    """One report over a period: columns, rows (small cells as "<5") and chart series; audited."""
    return read_report(view_report, request, db, user, name, date_from, date_to)
