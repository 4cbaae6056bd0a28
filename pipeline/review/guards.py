"""What the queue modules share: the clock, who acts, role and conflict-of-interest checks."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.audit import trail
from pipeline.db.models import Account, AppUser, Flag, Post
from pipeline.review.errors import NotAllowed, NotFound
from pipeline.vocabulary import Role

REVIEW_ROLES = (Role.REVIEWER, Role.LEAD)


def now(at: datetime | None = None) -> datetime:
    return at or datetime.now(UTC)


def actor(user: AppUser) -> str:
    return f"user:{user.email}"


def audit_flag(
    session: Session,
    action: str,
    user: AppUser,
    flag_id: int,
    person_id: int | None,
    **details: Any,
) -> None:
    """Audit what a user did to a flag (the person is the one the flag is about)."""
    trail.record(
        session,
        action,
        actor=actor(user),
        actor_user_id=user.id,
        subject_type="flag",
        subject_id=flag_id,
        person_id=person_id,
        **details,
    )


def require_role(user: AppUser, *roles: str) -> None:
    if not user.active or user.role not in roles:
        raise NotAllowed(f"this needs the role {' or '.join(roles)}")


def owner_of(session: Session, flag: Flag) -> int | None:
    """The person whose post the flag is about (None for an official account without owner)."""
    return session.scalar(
        select(Account.owner_id)
        .join(Post, Post.account_id == Account.id)
        .where(Post.id == flag.post_id)
    )


def check_no_conflict(session: Session, user: AppUser, flags: list[Flag]) -> None:
    """A user never handles a flag about their own posts."""
    if user.person_id is None:
        return
    for flag in flags:
        if owner_of(session, flag) == user.person_id:
            raise NotAllowed(f"flag {flag.id} is about your own post: it goes to another reviewer")


def get_flag(session: Session, flag_id: int, *, lock: bool = False) -> Flag:
    query = select(Flag).where(Flag.id == flag_id)
    if lock:
        query = query.with_for_update()
    flag = session.scalar(query)
    if flag is None:
        raise NotFound(f"no flag {flag_id}")
    return flag
