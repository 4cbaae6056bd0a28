"""A short review history for the demo: the demo reviewer's first decisions.

Without any decision, the decision-mix, workload and time-to-decision reports and the lead's
escalation list would show nothing. On a demo database where nobody has decided anything yet,
the demo reviewer claims the riskiest items, as anyone would, and decides three of them
(advise, escalate, no concern) through the same service functions as the review app: audited
like any decision. Later runs add nothing.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline import review
from pipeline.db.models import AppUser, Review
from pipeline.demo.logins import REVIEWER_EMAIL

DECISIONS = (
    ("advise", "Demo: the post names a party; advise the author of the guidance."),
    ("escalate", "Demo: senior author and a large audience; a lead should look."),
    ("no_concern", ""),
)


def seed_history(session: Session) -> int:
    """Decide a few items as the demo reviewer, once per database; the number decided."""
    if session.scalar(select(func.count(Review.id))):
        return 0
    reviewer = session.scalar(select(AppUser).where(AppUser.email == REVIEWER_EMAIL))
    if reviewer is None:
        return 0
    decided = 0
    for decision, rationale in DECISIONS:
        flag = review.claim_next(session, reviewer)
        if flag is None:
            break
        review.decide(session, flag.id, reviewer, decision=decision, rationale=rationale)
        decided += 1
    return decided
