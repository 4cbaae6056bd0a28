"""A review item: one post with every open flag it has, read once and decided once.

The classifier raises one flag per category over its threshold, so a post over two thresholds
has two flags. Reviewers work on posts: the queue hands out a post with its open flags under one
lease (``claims``), the page shows the post once with its categories (``views``), and one
decision writes one review per flag (``decisions``), so reports, exports, the audit and the
employee's view stay per flag. Nothing is stored about items: they are the flags grouped by
``post_id``, when claimed and when decided.

A cross-posted copy (a flag that is not the first open flag of its group, see ``intake``) is
never handed out on its own: it is decided with the first flag of its group, on that post.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.db.models import AppUser, Flag

# Risk bands for words beside the number (``labels``: "High risk" ...); a risk is a probability.
RISK_BANDS = ((0.75, "high_risk"), (0.5, "medium_risk"), (0.0, "low_risk"))


def risk_level(risk: float) -> str:
    """``high_risk`` (0.75 and over), ``medium_risk`` (0.5 and over) or ``low_risk``."""
    return next(name for floor, name in RISK_BANDS if risk >= floor)


def held_flags(
    session: Session,
    user: AppUser,
    at: datetime,
    *,
    post_id: int | None = None,
    lock: bool = False,
) -> list[Flag]:
    """The open flags ``user`` holds under a running lease (of one post when ``post_id`` is
    given), riskiest first."""
    query = select(Flag).where(
        Flag.claimed_by_id == user.id,
        Flag.closed_at.is_(None),
        Flag.lease_expires_at > at,
    )
    if post_id is not None:
        query = query.where(Flag.post_id == post_id)
    query = query.order_by(Flag.risk.desc(), Flag.created_at, Flag.id)
    if lock:
        query = query.with_for_update()
    return list(session.scalars(query))


def post_flags(session: Session, post_id: int, *, lock: bool = False) -> list[Flag]:
    """Every flag of a post, riskiest first."""
    query = (
        select(Flag)
        .where(Flag.post_id == post_id)
        .order_by(Flag.risk.desc(), Flag.created_at, Flag.id)
    )
    if lock:
        query = query.with_for_update()
    return list(session.scalars(query))


def group_copies(session: Session, flags: list[Flag], *, closed: bool) -> dict[int, list[Flag]]:
    """For each flag, the other flags of its cross-post group in the same state (open or
    closed), not among ``flags``; locked, as a decision writes them."""
    ids = {f.id for f in flags}
    keys = {f.group_key for f in flags if f.group_key is not None}
    if not keys:
        return {f.id: [] for f in flags}
    state = Flag.closed_at.is_not(None) if closed else Flag.closed_at.is_(None)
    others = session.scalars(
        select(Flag)
        .where(Flag.group_key.in_(keys), Flag.id.not_in(ids), state)
        .order_by(Flag.id)
        .with_for_update()
    ).all()
    return {f.id: [o for o in others if o.group_key == f.group_key] for f in flags}
