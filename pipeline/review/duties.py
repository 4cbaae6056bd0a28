"""Separation of duties on escalations: the lead who raised one is not the lead who ends it.

A lead may claim and decide flags like any reviewer, escalation included. The lead who
escalated a flag may neither close that escalation (nor send it back to the queue, which ends
it as well) nor reveal the author's identity on it: a second lead does. Who escalated is read
from the whole review history of the flag and of its cross-post group, not from the latest
review only, so reopening a flag and escalating it again never hands the same lead the close
or the reveal.
"""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from pipeline.db.models import AppUser, Flag, Review
from pipeline.i18n import _
from pipeline.review.errors import NotAllowed
from pipeline.vocabulary import Decision


def raised_by(session: Session, lead: AppUser, flag: Flag) -> bool:
    """Whether ``lead`` ever escalated ``flag`` or a flag of its cross-post group."""
    flags = select(Flag.id).where(Flag.id == flag.id)
    if flag.group_key is not None:
        flags = select(Flag.id).where(Flag.group_key == flag.group_key)
    return bool(
        session.scalar(
            select(
                exists().where(
                    Review.flag_id.in_(flags),
                    Review.reviewer_id == lead.id,
                    Review.decision == Decision.ESCALATE,
                )
            )
        )
    )


def check_second_lead(session: Session, lead: AppUser, flag: Flag, *, action: str) -> None:
    """Refuse ``action`` ("close the escalation", "reveal the author's identity") to the lead
    who raised the escalation."""
    if raised_by(session, lead, flag):
        raise NotAllowed(
            _(
                "you escalated flag %(flag)s yourself: a second lead must %(action)s (separation of duties)"
            )
            % {"flag": flag.id, "action": action}
        )
