"""What the queue modules share: the clock, who acts, role and conflict-of-interest checks.

A user is the owner of a post when the post's account belongs to the person the user is linked
to, or to a person registered under the user's own sign-in email (defence in depth for users
created before every review-role user had to be linked). A user never handles, opens or sees
the decisions on a flag about their own posts.

A flag the user may not know about gets the same answer as a flag that does not exist
(``NotFound`` with ``HIDDEN``), so ids cannot be probed; the audit keeps the real reason.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.audit import trail
from pipeline.db.models import Account, AppUser, Flag, Person, Post, Review
from pipeline.i18n import N_, _
from pipeline.review.errors import NotAllowed, NotFound
from pipeline.vocabulary import Role

REVIEW_ROLES = (Role.REVIEWER, Role.LEAD)
HIDDEN = N_("no such flag, or not one you may open: claim the next flag from the queue")


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
    """Audit what a user did to a flag (the person is the one the flag is about).

    The row outlives the flag (retention deletes flags; the log is append-only), so it names the
    user by id (``user:<id>``, resolved to an email when the log is read) and holds ids, stages
    and counts: not the decision, clause or rationale, which live and go with the review.
    """
    trail.record(
        session,
        action,
        actor=f"user:{user.id}",
        actor_user_id=user.id,
        subject_type="flag",
        subject_id=flag_id,
        person_id=person_id,
        **details,
    )


def require_role(user: AppUser, *roles: str) -> None:
    if not user.active or user.role not in roles:
        raise NotAllowed(_("this needs the role %(roles)s") % {"roles": " or ".join(roles)})


def owner_of(session: Session, flag: Flag) -> int | None:
    """The person whose post the flag is about (None for an official account without owner)."""
    return session.scalar(
        select(Account.owner_id)
        .join(Post, Post.account_id == Account.id)
        .where(Post.id == flag.post_id)
    )


def own_person_ids(session: Session, user: AppUser) -> list[int]:
    """The registered people this user is: the linked person and the one with the user's email.

    Both emails are stored normalized (lower case), so the lookup uses the unique index."""
    ids = set(session.scalars(select(Person.id).where(Person.email == user.email.lower())))
    if user.person_id is not None:
        ids.add(user.person_id)
    return sorted(ids)


def hidden(reason: str) -> NotFound:
    """The refusal for a flag the user may not know about: worded as for a missing flag."""
    return NotFound(_(HIDDEN), reason=reason)


def check_no_conflict(session: Session, user: AppUser, flags: list[Flag]) -> None:
    """A user never handles a flag about their own posts; to them, it does not exist."""
    own = own_person_ids(session, user)
    if not own:
        return
    for flag in flags:
        if owner_of(session, flag) in own:
            raise hidden(f"conflict of interest: flag {flag.id} is about the user's own post")


def get_flag(session: Session, flag_id: int, *, lock: bool = False) -> Flag:
    query = select(Flag).where(Flag.id == flag_id)
    if lock:
        query = query.with_for_update()
    flag = session.scalar(query)
    if flag is None:
        raise NotFound(_(HIDDEN), reason=f"no flag {flag_id}")
    return flag


def check_may_know(session: Session, user: AppUser, flag: Flag) -> None:
    """A reviewer knows the flags they hold (or held last) and the ones they decided; a lead
    knows every flag. Any other flag is hidden from them."""
    if user.role == Role.LEAD or flag.claimed_by_id == user.id:
        return
    decided = session.scalar(
        select(Review.id).where(Review.flag_id == flag.id, Review.reviewer_id == user.id).limit(1)
    )
    if decided is None:
        raise hidden(f"flag {flag.id} is neither held nor decided by the user")


def visible_flag(session: Session, flag_id: int, user: AppUser, *, lock: bool = False) -> Flag:
    """The flag, when it exists, is not about the user's own posts and is one they may know
    about; otherwise ``NotFound`` with the same message in every case."""
    flag = get_flag(session, flag_id, lock=lock)
    check_no_conflict(session, user, [flag])
    check_may_know(session, user, flag)
    return flag
