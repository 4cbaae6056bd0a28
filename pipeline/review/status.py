"""The queue status of a flag, derived by one rule from the flag and its reviews.

``flag.closed_at`` says whether the flag has left the reviewers' queue; only
``decisions`` writes it (a decision, and the undo of one, which deletes its reviews and clears
``closed_at`` again: an undone decision leaves nothing for the rule to read). The latest review
says why it left:

* ``closed_at`` is null -> ``claimed`` while a lease is running, else ``open``;
* ``closed_at`` is set -> ``escalated`` when the latest review is an escalation, else ``closed``.

``status_of`` (Python) and ``status_sql`` (SQL) are the same rule; a test checks they agree.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, case, literal, select
from sqlalchemy.orm import Session

from pipeline.db.models import Flag, Review

STATUSES = ("open", "claimed", "escalated", "closed")


def status_of(
    *,
    closed_at: datetime | None,
    claimed_by_id: int | None,
    lease_expires_at: datetime | None,
    latest_decision: str | None,
    at: datetime,
) -> str:
    if closed_at is None:
        leased = claimed_by_id is not None and lease_expires_at is not None
        return "claimed" if leased and lease_expires_at > at else "open"
    return "escalated" if latest_decision == "escalate" else "closed"


def latest_decision_sql(flag: type[Flag] = Flag) -> ColumnElement[str]:
    """The decision of the flag's latest review (null when none), as a scalar subquery."""
    return (
        select(Review.decision)
        .where(Review.flag_id == flag.id)
        .order_by(Review.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def status_sql(at: datetime, flag: type[Flag] = Flag) -> ColumnElement[str]:
    """The same rule as ``status_of`` as a SQL expression over ``flag``."""
    return case(
        (
            flag.closed_at.is_(None),
            case(
                (
                    flag.claimed_by_id.is_not(None) & (flag.lease_expires_at > literal(at)),
                    literal("claimed"),
                ),
                else_=literal("open"),
            ),
        ),
        (latest_decision_sql(flag) == "escalate", literal("escalated")),
        else_=literal("closed"),
    )


def flag_status(session: Session, flag: Flag, at: datetime) -> str:
    latest = session.scalar(
        select(Review.decision).where(Review.flag_id == flag.id).order_by(Review.id.desc()).limit(1)
    )
    return status_of(
        closed_at=flag.closed_at,
        claimed_by_id=flag.claimed_by_id,
        lease_expires_at=flag.lease_expires_at,
        latest_decision=latest,
        at=at,
    )
