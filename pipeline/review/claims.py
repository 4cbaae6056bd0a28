"""Claiming work: the highest-risk, oldest open flag, under a lease that expires on its own.

The claim is one ``UPDATE ... FROM (SELECT ... FOR UPDATE SKIP LOCKED LIMIT 1)``: concurrent
reviewers skip rows another transaction is claiming, so no flag is handed out twice. Only the
first open flag of a cross-post group is claimable; its decision covers the group. No one is
handed a flag about their own posts (``guards.own_person_ids``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from pipeline.clock import now
from pipeline.config import get_settings
from pipeline.db.models import AppUser, Flag
from pipeline.review.errors import Conflict
from pipeline.review.guards import (
    REVIEW_ROLES,
    audit_flag,
    own_person_ids,
    owner_of,
    require_role,
    visible_flag,
)

CLAIM_SQL = text(
    """
    UPDATE flag SET claimed_by_id = :user_id, lease_expires_at = :lease_until
    FROM (
        SELECT f.id FROM flag f
        WHERE f.closed_at IS NULL
          AND (f.claimed_by_id IS NULL OR f.lease_expires_at <= :at)
          AND NOT EXISTS (
              SELECT 1 FROM flag g
              WHERE g.group_key = f.group_key AND g.closed_at IS NULL AND g.id < f.id)
          AND NOT EXISTS (
              SELECT 1 FROM post p JOIN account a ON a.id = p.account_id
              WHERE p.id = f.post_id AND a.owner_id = ANY(CAST(:person_ids AS integer[])))
        ORDER BY f.risk DESC, f.created_at, f.id
        LIMIT 1
        FOR UPDATE OF f SKIP LOCKED
    ) AS candidate
    WHERE flag.id = candidate.id
    RETURNING flag.id
    """
)


def claim_next(session: Session, reviewer: AppUser, *, at: datetime | None = None) -> Flag | None:
    """Claim the next flag for ``reviewer`` (None when nothing is claimable); audited."""
    require_role(reviewer, *REVIEW_ROLES)
    at = now(at)
    lease_until = at + timedelta(minutes=get_settings().lease_minutes)
    flag_id = session.scalar(
        CLAIM_SQL,
        {
            "user_id": reviewer.id,
            "lease_until": lease_until,
            "at": at,
            "person_ids": own_person_ids(session, reviewer),
        },
    )
    if flag_id is None:
        return None
    flag = session.get(Flag, flag_id, populate_existing=True)
    assert flag is not None
    audit_flag(
        session,
        "flag.claim",
        reviewer,
        flag.id,
        owner_of(session, flag),
        lease_until=lease_until.isoformat(),
    )
    return flag


def release(
    session: Session, flag_id: int, reviewer: AppUser, *, at: datetime | None = None
) -> Flag:
    """Give a claimed flag back to the queue; audited."""
    require_role(reviewer, *REVIEW_ROLES)
    flag = visible_flag(session, flag_id, reviewer, lock=True)
    if flag.closed_at is not None or flag.claimed_by_id != reviewer.id:
        raise Conflict(f"flag {flag_id} is not claimed by you")
    flag.claimed_by_id = None
    flag.lease_expires_at = None
    audit_flag(
        session,
        "flag.release",
        reviewer,
        flag.id,
        owner_of(session, flag),
    )
    session.flush()
    return flag


def holds_claim(flag: Flag, user: AppUser, at: datetime) -> bool:
    return (
        flag.closed_at is None
        and flag.claimed_by_id == user.id
        and flag.lease_expires_at is not None
        and flag.lease_expires_at > at
    )
