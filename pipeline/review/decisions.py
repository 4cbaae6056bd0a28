"""Human decisions: a reviewer decides, a lead closes escalations or reopens.

``record_decision`` is the single writer of ``flag.closed_at`` and of ``review`` rows: one call
covers every flag of a cross-post group, so one decision covers the copies. The lead who
escalated a flag never closes that escalation (``duties``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.clock import now
from pipeline.db.models import AppUser, Flag, Review
from pipeline.errors import InputError
from pipeline.review.claims import holds_claim
from pipeline.review.duties import check_second_lead
from pipeline.review.errors import Conflict
from pipeline.review.guards import (
    REVIEW_ROLES,
    audit_flag,
    check_no_conflict,
    owner_of,
    require_role,
    visible_flag,
)
from pipeline.review.status import flag_status
from pipeline.vocabulary import CATEGORIES, Decision

REVIEW_DECISIONS = (Decision.NO_CONCERN, Decision.ADVISE, Decision.ESCALATE)
LEAD_DECISIONS = (Decision.ADVISE, Decision.REFER, Decision.NO_CONCERN)
CLAUSES = (*CATEGORIES, "none")


def _check(decision: str, allowed: tuple[str, ...], clause: str, rationale: str) -> str:
    if decision not in allowed:
        raise InputError(f"unknown decision {decision!r}: use one of {', '.join(allowed)}")
    if clause not in CLAUSES:
        raise InputError(
            f"a decision names the guidance clause it applies: one of {', '.join(CLAUSES)}"
        )
    if clause == "none" and decision != "no_concern":
        raise InputError(f"a {decision!r} decision must name the clause of concern")
    rationale = (rationale or "").strip()
    if not rationale:
        raise InputError("a decision needs a rationale: say why, in a sentence")
    return rationale


def _group(session: Session, flag: Flag, *, closed: bool) -> list[Flag]:
    """The flag and the other flags of its cross-post group in the same state (locked)."""
    if flag.group_key is None:
        return [flag]
    state = Flag.closed_at.is_not(None) if closed else Flag.closed_at.is_(None)
    others = session.scalars(
        select(Flag)
        .where(Flag.group_key == flag.group_key, Flag.id != flag.id, state)
        .order_by(Flag.id)
        .with_for_update()
    )
    return [flag, *others]


def record_decision(
    session: Session,
    flags: list[Flag],
    user: AppUser,
    *,
    stage: str,
    decision: str,
    clause: str,
    rationale: str,
    at: datetime,
) -> list[Review]:
    """Write one review per flag and move the flags in or out of the queue; audited once."""
    reviews = []
    for flag in flags:
        reviews.append(
            Review(
                flag_id=flag.id,
                reviewer_id=user.id,
                stage=stage,
                decision=decision,
                clause=clause,
                rationale=rationale,
                created_at=at,
            )
        )
        flag.closed_at = None if decision == "reopen" else at
        flag.claimed_by_id = None
        flag.lease_expires_at = None
    session.add_all(reviews)
    session.flush()
    audit_flag(
        session,
        "flag.reopen" if decision == "reopen" else "flag.decide",
        user,
        flags[0].id,
        owner_of(session, flags[0]),
        stage=stage,
        flag_ids=[f.id for f in flags],
    )
    return reviews


def decide(
    session: Session,
    flag_id: int,
    reviewer: AppUser,
    *,
    decision: str,
    clause: str,
    rationale: str,
    at: datetime | None = None,
) -> list[Review]:
    """A reviewer's decision on a flag they hold: no_concern, advise or escalate."""
    require_role(reviewer, *REVIEW_ROLES)
    rationale = _check(decision, REVIEW_DECISIONS, clause, rationale)
    at = now(at)
    flag = visible_flag(session, flag_id, reviewer, lock=True)
    if not holds_claim(flag, reviewer, at):
        raise Conflict(
            f"flag {flag_id} is not claimed by you (or your lease expired): claim it first"
        )
    group = _group(session, flag, closed=False)
    check_no_conflict(session, reviewer, group)
    return record_decision(
        session,
        group,
        reviewer,
        stage="review",
        decision=decision,
        clause=clause,
        rationale=rationale,
        at=at,
    )


def close_escalation(
    session: Session,
    flag_id: int,
    lead: AppUser,
    *,
    decision: str,
    clause: str,
    rationale: str,
    at: datetime | None = None,
) -> list[Review]:
    """A lead closes an escalated flag: advise, refer or no_concern."""
    require_role(lead, "lead")
    rationale = _check(decision, LEAD_DECISIONS, clause, rationale)
    at = now(at)
    flag = visible_flag(session, flag_id, lead, lock=True)
    if flag_status(session, flag, at) != "escalated":
        raise Conflict(f"flag {flag_id} is not escalated")
    check_second_lead(session, lead, flag, action="close the escalation")
    group = [
        f for f in _group(session, flag, closed=True) if flag_status(session, f, at) == "escalated"
    ]
    check_no_conflict(session, lead, group)
    return record_decision(
        session,
        group,
        lead,
        stage="lead",
        decision=decision,
        clause=clause,
        rationale=rationale,
        at=at,
    )


def reopen(
    session: Session, flag_id: int, lead: AppUser, *, rationale: str, at: datetime | None = None
) -> list[Review]:
    """A lead sends a closed or escalated flag back to the reviewers' queue (an escalation the
    lead raised goes back through a second lead)."""
    require_role(lead, "lead")
    rationale = (rationale or "").strip()
    if not rationale:
        raise InputError("reopening needs a rationale")
    at = now(at)
    flag = visible_flag(session, flag_id, lead, lock=True)
    if flag.closed_at is None:
        raise Conflict(f"flag {flag_id} is already in the queue")
    if flag_status(session, flag, at) == "escalated":
        # sending an escalation back to the queue ends it as surely as closing it does
        check_second_lead(session, lead, flag, action="reopen the escalation")
    group = _group(session, flag, closed=True)
    check_no_conflict(session, lead, group)
    return record_decision(
        session,
        group,
        lead,
        stage="lead",
        decision="reopen",
        clause=flag.category if flag.category in CATEGORIES else "none",
        rationale=rationale,
        at=at,
    )
