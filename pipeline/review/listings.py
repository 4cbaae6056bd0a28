"""Queue counts and the items a reviewer holds, for the queue page, the API and the CLI."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from pipeline.clock import now
from pipeline.db.models import AppUser, Flag
from pipeline.i18n import N_
from pipeline.review.items import risk_level

# (key, upper bound in days): the keys are stable identifiers of the API's and CLI's JSON
AGE_BUCKETS = (("< 1 day", 1), ("1-3 days", 3), ("3-7 days", 7), ("> 7 days", None))
AGE_LABELS = {
    "< 1 day": N_("Less than 1 day"),
    "1-3 days": N_("1 to 3 days"),
    "3-7 days": N_("3 to 7 days"),
    "> 7 days": N_("More than 7 days"),
}


def queue_stats(session: Session, *, at: datetime | None = None) -> dict[str, Any]:
    """Queued flags by category and age, claimed and escalated counts, and the same counts in
    items (posts): ``items_queued``, ``items_claimed``, ``items_escalated``."""
    at = now(at)
    rows = session.execute(
        text(
            """
            SELECT category, CASE WHEN created_at > :d1 THEN 0 WHEN created_at > :d3 THEN 1
                                  WHEN created_at > :d7 THEN 2 ELSE 3 END AS bucket,
                   count(*), count(*) FILTER (WHERE claimed_by_id IS NOT NULL
                                              AND lease_expires_at > :at)
            FROM flag WHERE closed_at IS NULL GROUP BY 1, 2
            """
        ),
        {
            "at": at,
            "d1": at - timedelta(days=1),
            "d3": at - timedelta(days=3),
            "d7": at - timedelta(days=7),
        },
    ).all()
    by_category: dict[str, dict[str, int]] = {}
    claimed = 0
    for category, bucket, count, claimed_count in rows:
        by_category.setdefault(category, {b[0]: 0 for b in AGE_BUCKETS})
        by_category[category][AGE_BUCKETS[bucket][0]] += count
        claimed += claimed_count
    queued = sum(sum(v.values()) for v in by_category.values())
    items = session.execute(
        text(
            """
            SELECT count(DISTINCT post_id),
                   count(DISTINCT post_id) FILTER (WHERE claimed_by_id IS NOT NULL
                                                   AND lease_expires_at > :at)
            FROM flag WHERE closed_at IS NULL
            """
        ),
        {"at": at},
    ).one()
    escalated = session.execute(
        text(
            # from the escalate reviews (a partial index) whose flag has no later review
            "SELECT count(*), count(DISTINCT f.post_id) FROM review r "
            "JOIN flag f ON f.id = r.flag_id AND f.closed_at IS NOT NULL "
            "WHERE r.decision = 'escalate' "
            "AND NOT EXISTS (SELECT 1 FROM review later WHERE later.flag_id = r.flag_id "
            "AND later.id > r.id)"
        )
    ).one()
    return {
        "queued": queued,
        "claimed": claimed,
        "escalated": escalated[0],
        "items_queued": items[0],
        "items_claimed": items[1],
        "items_escalated": escalated[1],
        "by_category": by_category,
        "age_buckets": [b[0] for b in AGE_BUCKETS],
        "age_labels": AGE_LABELS,
    }


def my_claims(session: Session, user: AppUser, *, at: datetime | None = None) -> list[dict]:
    """The items ``user`` holds under a running lease: the riskiest flag's id (the item's
    address), the post, its categories, the risk and when the lease ends."""
    at = now(at)
    rows = session.execute(
        select(Flag.id, Flag.post_id, Flag.category, Flag.risk, Flag.lease_expires_at)
        .where(Flag.claimed_by_id == user.id, Flag.closed_at.is_(None), Flag.lease_expires_at > at)
        .order_by(Flag.lease_expires_at, Flag.risk.desc(), Flag.id)
    ).all()
    items: dict[int, dict[str, Any]] = {}
    for flag_id, post_id, category, risk, lease in rows:
        item = items.setdefault(
            post_id,
            {
                "flag_id": flag_id,
                "post_id": post_id,
                "category": category,
                "categories": [],
                "risk": round(risk, 3),
                "lease_expires_at": lease.isoformat(),
            },
        )
        item["categories"].append(category)
        if risk > item["risk"]:
            item.update(flag_id=flag_id, category=category, risk=round(risk, 3))
    for item in items.values():
        item["risk_level"] = risk_level(item["risk"])
    return list(items.values())
