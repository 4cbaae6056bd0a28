"""Undoing a decision: a reviewer who decided too fast takes it back, for a short while.

Within ``UNDO_WINDOW`` of a decision, its reviewer may undo it: the decision's review rows are
deleted and its flags go back to the queue, the item's own flags held again by the reviewer
(who decides again), its cross-posted copies open as before; the item the reviewer was handed
after the decision goes back to the queue (one item held at a time). Nothing derived needs a
rule of its own: with the reviews gone, the status rule (``status``) finds the flags claimed
again. The audit keeps both events, ``flag.decide`` and ``review.undo`` (with the flag ids).

Deleting is safe only while nobody has built on the decision, so an undo is refused once the
window has passed, or once another review (a lead's close or reopen) follows it on any of its
flags: then a lead reopens instead.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from pipeline.clock import now
from pipeline.config import get_settings
from pipeline.db.models import AppUser, Flag, Review
from pipeline.i18n import _
from pipeline.review.claims import release_flags
from pipeline.review.decisions import restore
from pipeline.review.errors import Conflict
from pipeline.review.guards import REVIEW_ROLES, audit_flag, owner_of, require_role, visible_flag
from pipeline.review.items import held_flags

UNDO_WINDOW = timedelta(minutes=2)


def _latest(session: Session, flag_id: int) -> Review | None:
    return session.scalar(
        select(Review).where(Review.flag_id == flag_id).order_by(Review.id.desc()).limit(1)
    )


def undoable(session: Session, flag_id: int, reviewer: AppUser, at: datetime) -> list[Review]:
    """The reviews of ``reviewer``'s decision on the item of ``flag_id`` that an undo would
    delete; ``Conflict`` when there is none to undo (any more)."""
    flag = visible_flag(session, flag_id, reviewer, lock=True)
    latest = _latest(session, flag.id)
    if latest is None or latest.reviewer_id != reviewer.id or latest.stage != "review":
        raise Conflict(_("there is no decision of yours to undo on flag %(id)s") % {"id": flag_id})
    if at - latest.created_at > UNDO_WINDOW:
        raise Conflict(
            _(
                "a decision can be undone for %(minutes)s minutes only: "
                "ask a lead to reopen flag %(id)s"
            )
            % {"minutes": int(UNDO_WINDOW.total_seconds() // 60), "id": flag_id}
        )
    # the decision's flags: the post's own, and their copies (same groups), decided together
    own = select(Flag.group_key).where(Flag.post_id == flag.post_id, Flag.group_key.is_not(None))
    reviews = session.scalars(
        select(Review)
        .join(Flag, Flag.id == Review.flag_id)
        .where(
            Review.reviewer_id == reviewer.id,
            Review.stage == "review",
            Review.created_at == latest.created_at,
            or_(Flag.post_id == flag.post_id, Flag.group_key.in_(own)),
        )
        .order_by(Review.id)
        .with_for_update(of=Review)
    ).all()
    for review in reviews:
        after = _latest(session, review.flag_id)
        if after is not None and after.id != review.id:
            raise Conflict(
                _("flag %(id)s was acted on after your decision: ask a lead to reopen it")
                % {"id": review.flag_id}
            )
    return list(reviews)


def undo_decision(
    session: Session, flag_id: int, reviewer: AppUser, *, at: datetime | None = None
) -> list[Flag]:
    """Undo ``reviewer``'s decision on the item of ``flag_id`` (see the module's docstring);
    returns the item's flags, held again by the reviewer. Audited as ``review.undo``."""
    require_role(reviewer, *REVIEW_ROLES)
    at = now(at)
    reviews = undoable(session, flag_id, reviewer, at)
    flag = session.get(Flag, flag_id)
    assert flag is not None
    flags = [session.get(Flag, r.flag_id) for r in reviews]
    held = [f for f in held_flags(session, reviewer, at, lock=True) if f.post_id != flag.post_id]
    for post_id in dict.fromkeys(f.post_id for f in held):
        release_flags(session, [f for f in held if f.post_id == post_id], reviewer)
    session.execute(delete(Review).where(Review.id.in_([r.id for r in reviews])))
    for review in reviews:
        session.expunge(review)
    lease_until = at + timedelta(minutes=get_settings().lease_minutes)
    restore(session, flags, reviewer, post_id=flag.post_id, lease_until=lease_until)
    audit_flag(
        session,
        "review.undo",
        reviewer,
        flag.id,
        owner_of(session, flag),
        flag_ids=[f.id for f in flags],
    )
    return [f for f in flags if f.post_id == flag.post_id]
