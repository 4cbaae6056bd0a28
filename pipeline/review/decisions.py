"""Human decisions: a reviewer decides an item, a lead closes escalations or reopens.

A reviewer decides the item they hold (a post's open flags, see ``items``) once: one decision
for every category, or a different one for some categories where they differ. Each flag gets
its own review, and each flag's cross-posted copies get the same decision. "No concern" needs
no rationale; advising and escalating do (the employee reads it word for word).

``record_choices`` is the writer of ``flag.closed_at`` and of ``review`` rows, and ``restore``
(an undo, see ``undo``) the only other writer of ``closed_at``. The lead who escalated a flag
never closes that escalation (``duties``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from pipeline.clock import now
from pipeline.db.models import AppUser, Flag, Review
from pipeline.errors import InputError
from pipeline.i18n import _
from pipeline.labels import label
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
from pipeline.review.items import group_copies, held_flags, post_flags
from pipeline.review.status import flag_status
from pipeline.vocabulary import CATEGORIES, Decision

REVIEW_DECISIONS = (Decision.NO_CONCERN, Decision.ADVISE, Decision.ESCALATE)
LEAD_DECISIONS = (Decision.ADVISE, Decision.REFER, Decision.NO_CONCERN)
CLAUSES = (*CATEGORIES, "none")
MAX_RATIONALE = 5000

Choice = tuple[Flag, str, str]  # a flag, its decision, the guidance clause applied


def _check(decision: str, allowed: tuple[str, ...], clause: str) -> None:
    if not decision:
        raise InputError(
            _("choose a decision: one of %(allowed)s") % {"allowed": ", ".join(allowed)}
        )
    if decision not in allowed:
        raise InputError(
            _("unknown decision %(decision)r: use one of %(allowed)s")
            % {"decision": decision, "allowed": ", ".join(allowed)}
        )
    if clause not in CLAUSES:
        raise InputError(
            _("a decision names the guidance clause it applies: one of %(clauses)s")
            % {"clauses": ", ".join(CLAUSES)}
        )
    if clause == "none" and decision != Decision.NO_CONCERN:
        raise InputError(
            _("%(decision)s: name the guidance clause of concern") % {"decision": label(decision)}
        )


def _rationale(text: str | None, *, needed: bool) -> str:
    text = (text or "").strip()
    if needed and not text:
        raise InputError(_("to advise or escalate, write a rationale: say why, in a sentence"))
    if len(text) > MAX_RATIONALE:
        raise InputError(_("the rationale is longer than %(n)s characters") % {"n": MAX_RATIONALE})
    return text


def _own_clause(flag: Flag) -> str:
    return flag.category if flag.category in CATEGORIES else "none"


def _with_copies(session: Session, choices: list[Choice], *, closed: bool) -> list[Choice]:
    """The choices and, for each flag, its cross-posted copies with the same choice."""
    copies = group_copies(session, [flag for flag, _d, _c in choices], closed=closed)
    seen = {flag.id for flag, _d, _c in choices}
    out = list(choices)
    for flag, decision, clause in choices:
        for copy in copies[flag.id]:
            if copy.id not in seen:
                seen.add(copy.id)
                out.append((copy, decision, clause))
    return out


def record_choices(
    session: Session,
    choices: list[Choice],
    user: AppUser,
    *,
    stage: str,
    rationale: str,
    at: datetime,
) -> list[Review]:
    """Write one review per flag and move the flags in or out of the queue; audited once."""
    reviews = []
    for flag, decision, clause in choices:
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
        flag.closed_at = None if decision == Decision.REOPEN else at
        flag.claimed_by_id = None
        flag.lease_expires_at = None
    session.add_all(reviews)
    session.flush()
    first = choices[0][0]
    reopened = all(decision == Decision.REOPEN for _f, decision, _c in choices)
    audit_flag(
        session,
        "flag.reopen" if reopened else "flag.decide",
        user,
        first.id,
        owner_of(session, first),
        stage=stage,
        flag_ids=[flag.id for flag, _d, _c in choices],
    )
    return reviews


def restore(
    session: Session, flags: list[Flag], holder: AppUser, *, post_id: int, lease_until: datetime
) -> None:
    """Put decided flags back in the queue (an undo): the item's own flags held again by
    ``holder`` under a fresh lease, its cross-posted copies open as before."""
    for flag in flags:
        own = flag.post_id == post_id
        flag.closed_at = None
        flag.claimed_by_id = holder.id if own else None
        flag.lease_expires_at = lease_until if own else None
    session.flush()


def decide(
    session: Session,
    flag_id: int,
    reviewer: AppUser,
    *,
    decision: str,
    clause: str | None = None,
    rationale: str | None = "",
    categories: Mapping[str, str] | None = None,
    at: datetime | None = None,
) -> list[Review]:
    """A reviewer's decision on the item they hold: ``decision`` (no_concern, advise or
    escalate) for every category, except those ``categories`` (category -> decision) names.
    ``clause`` applies to every flag; by default each flag's own category."""
    require_role(reviewer, *REVIEW_ROLES)
    at = now(at)
    flag = visible_flag(session, flag_id, reviewer, lock=True)
    if not holds_claim(flag, reviewer, at):
        raise Conflict(
            _("flag %(id)s is not claimed by you (or your lease expired): claim it first")
            % {"id": flag_id}
        )
    item = held_flags(session, reviewer, at, post_id=flag.post_id, lock=True)
    overrides = {k: v for k, v in (categories or {}).items() if v}
    unknown = sorted(set(overrides) - {f.category for f in item})
    if unknown:
        raise InputError(
            _("this item has no category %(unknown)s: its categories are %(known)s")
            % {"unknown": ", ".join(unknown), "known": ", ".join(f.category for f in item)}
        )
    choices: list[Choice] = []
    for f in item:
        chosen = overrides.get(f.category, decision)
        applied = clause or _own_clause(f)
        _check(chosen, REVIEW_DECISIONS, applied)
        choices.append((f, chosen, applied))
    needed = any(d != Decision.NO_CONCERN for _f, d, _c in choices)
    rationale = _rationale(rationale, needed=needed)
    choices = _with_copies(session, choices, closed=False)
    check_no_conflict(session, reviewer, [f for f, _d, _c in choices])
    return record_choices(session, choices, reviewer, stage="review", rationale=rationale, at=at)


def close_escalation(
    session: Session,
    flag_id: int,
    lead: AppUser,
    *,
    decision: str,
    clause: str | None = None,
    rationale: str,
    at: datetime | None = None,
) -> list[Review]:
    """A lead closes an escalated item (every escalated flag of the post, and their copies):
    advise, refer or no_concern. ``clause`` is the one applied to ``flag_id`` (by default its
    own category); the item's other categories keep their own."""
    require_role(lead, "lead")
    rationale = _rationale(rationale, needed=True)
    at = now(at)
    flag = visible_flag(session, flag_id, lead, lock=True)
    if flag_status(session, flag, at) != "escalated":
        raise Conflict(_("flag %(id)s is not escalated") % {"id": flag_id})
    check_second_lead(session, lead, flag, action=_("close the escalation"))
    item = [f for f in post_flags(session, flag.post_id, lock=True) if f.closed_at is not None]
    choices: list[Choice] = []
    for f in item:
        if flag_status(session, f, at) != "escalated":
            continue
        if f.id != flag.id:
            check_second_lead(session, lead, f, action=_("close the escalation"))
        applied = (clause if f.id == flag.id else None) or _own_clause(f)
        _check(decision, LEAD_DECISIONS, applied)
        choices.append((f, decision, applied))
    choices = [
        c
        for c in _with_copies(session, choices, closed=True)
        if flag_status(session, c[0], at) == "escalated"
    ]
    check_no_conflict(session, lead, [f for f, _d, _c in choices])
    return record_choices(session, choices, lead, stage="lead", rationale=rationale, at=at)


def reopen(
    session: Session, flag_id: int, lead: AppUser, *, rationale: str, at: datetime | None = None
) -> list[Review]:
    """A lead sends a closed or escalated item (every decided flag of the post, and their
    copies) back to the reviewers' queue (an escalation the lead raised goes back through a
    second lead)."""
    require_role(lead, "lead")
    rationale = (rationale or "").strip()
    if not rationale:
        raise InputError(_("reopening needs a rationale"))
    at = now(at)
    flag = visible_flag(session, flag_id, lead, lock=True)
    if flag.closed_at is None:
        raise Conflict(_("flag %(id)s is already in the queue") % {"id": flag_id})
    item = [f for f in post_flags(session, flag.post_id, lock=True) if f.closed_at is not None]
    for f in item:
        if flag_status(session, f, at) == "escalated":
            # sending an escalation back to the queue ends it as surely as closing it does
            check_second_lead(session, lead, f, action=_("reopen the escalation"))
    choices = [(f, Decision.REOPEN.value, _own_clause(f)) for f in item]
    choices = _with_copies(session, choices, closed=True)
    check_no_conflict(session, lead, [f for f, _d, _c in choices])
    return record_choices(session, choices, lead, stage="lead", rationale=rationale, at=at)
