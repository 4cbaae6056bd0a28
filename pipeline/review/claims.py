"""Claiming work: the riskiest, oldest open item, under a lease that expires on its own.

An item is a post with its open flags (``items``). The claim picks the riskiest, oldest
claimable flag and takes every open flag of its post together, for the same reviewer and the
same lease. Two reviewers never hold one post: the candidate flag and its post row are locked
with ``FOR NO KEY UPDATE ... SKIP LOCKED`` (a concurrent claim skips them, or finds the flag
taken when it reads it again), a post with a running lease on any of its flags is not a
candidate, and the flags are taken by an ``UPDATE`` that checks again that each is free: when a
concurrent claim took the post first, nothing is taken and the next candidate is tried. Only the first open flag of a cross-post group is claimable;
its decision covers the group. No one is handed a flag about their own posts
(``guards.own_person_ids``).

A reviewer holds one item at a time: ``claim_next`` returns the item already held, unless
``another`` asks for a second one explicitly.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from pipeline.clock import now
from pipeline.config import get_settings
from pipeline.db.models import AppUser, Flag
from pipeline.i18n import _
from pipeline.review.errors import Conflict
from pipeline.review.guards import (
    REVIEW_ROLES,
    audit_flag,
    own_person_ids,
    owner_of,
    require_role,
    visible_flag,
)
from pipeline.review.items import held_flags

# The first open flag of its cross-post group (the others are decided with it).
HEAD = """NOT EXISTS (
              SELECT 1 FROM flag g
              WHERE g.group_key = {f}.group_key AND g.closed_at IS NULL AND g.id < {f}.id)"""
FREE = "({f}.claimed_by_id IS NULL OR {f}.lease_expires_at <= :at)"

CANDIDATE = f"""
    SELECT f.post_id FROM flag f JOIN post p ON p.id = f.post_id
    WHERE f.closed_at IS NULL
      AND {FREE.format(f="f")}
      AND {HEAD.format(f="f")}
      AND NOT EXISTS (
          SELECT 1 FROM flag h
          WHERE h.post_id = f.post_id AND h.closed_at IS NULL
            AND h.claimed_by_id IS NOT NULL AND h.lease_expires_at > :at)
      AND NOT EXISTS (
          SELECT 1 FROM account a
          WHERE a.id = p.account_id AND a.owner_id = ANY(CAST(:person_ids AS integer[])))
    ORDER BY f.risk DESC, f.created_at, f.id
    LIMIT 1
    FOR NO KEY UPDATE OF f, p SKIP LOCKED
"""
CANDIDATE_SQL = text(CANDIDATE)

# The candidate's post, and every free open flag of it that heads its group, in one statement.
CLAIM_SQL = text(
    f"""
    WITH candidate AS ({CANDIDATE})
    UPDATE flag f SET claimed_by_id = :user_id, lease_expires_at = :lease_until
    FROM candidate c
    WHERE f.post_id = c.post_id AND f.closed_at IS NULL
      AND {FREE.format(f="f")}
      AND {HEAD.format(f="f")}
    RETURNING f.id
    """
)


def claim_next(
    session: Session, reviewer: AppUser, *, another: bool = False, at: datetime | None = None
) -> Flag | None:
    """The riskiest flag of the item ``reviewer`` holds, else of the next item, claimed now
    (None when nothing is claimable); a new claim is audited. ``another`` claims a new item
    even while one is held."""
    require_role(reviewer, *REVIEW_ROLES)
    at = now(at)
    if not another:
        held = held_flags(session, reviewer, at)
        if held:
            return held[0]
    lease_until = at + timedelta(minutes=get_settings().lease_minutes)
    params = {
        "user_id": reviewer.id,
        "lease_until": lease_until,
        "at": at,
        "person_ids": own_person_ids(session, reviewer),
    }
    while True:
        taken = session.scalars(CLAIM_SQL, params).all()
        if taken:
            break
        # Nothing taken: the queue is empty, or a claim that committed meanwhile took the
        # candidate's flags; that post is no candidate the next time, so the loop ends.
        if session.scalar(CANDIDATE_SQL, params) is None:
            return None
    flags = list(
        session.scalars(
            select(Flag)
            .where(Flag.id.in_(taken))
            .order_by(Flag.risk.desc(), Flag.created_at, Flag.id)
            .execution_options(populate_existing=True)
        )
    )
    audit_flag(
        session,
        "flag.claim",
        reviewer,
        flags[0].id,
        owner_of(session, flags[0]),
        lease_until=lease_until.isoformat(),
        flag_ids=[f.id for f in flags],
    )
    return flags[0]


def release(
    session: Session, flag_id: int, reviewer: AppUser, *, at: datetime | None = None
) -> Flag:
    """Give a claimed item (every flag of the post that the reviewer holds) back to the
    queue; audited."""
    require_role(reviewer, *REVIEW_ROLES)
    at = now(at)
    flag = visible_flag(session, flag_id, reviewer, lock=True)
    if flag.closed_at is not None or flag.claimed_by_id != reviewer.id:
        raise Conflict(_("flag %(id)s is not claimed by you") % {"id": flag_id})
    flags = [
        flag,
        *(
            f
            for f in held_flags(session, reviewer, at, post_id=flag.post_id, lock=True)
            if f.id != flag.id
        ),
    ]
    release_flags(session, flags, reviewer)
    return flag


def release_flags(session: Session, flags: list[Flag], reviewer: AppUser) -> None:
    """Clear the leases of ``flags`` (one item's) and audit one ``flag.release``."""
    for flag in flags:
        flag.claimed_by_id = None
        flag.lease_expires_at = None
    audit_flag(
        session,
        "flag.release",
        reviewer,
        flags[0].id,
        owner_of(session, flags[0]),
        flag_ids=[f.id for f in flags],
    )
    session.flush()


def holds_claim(flag: Flag, user: AppUser, at: datetime) -> bool:
    return (
        flag.closed_at is None
        and flag.claimed_by_id == user.id
        and flag.lease_expires_at is not None
        and flag.lease_expires_at > at
    )
