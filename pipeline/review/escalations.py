"""The lead's list: escalated flags (blind until revealed) and what employees said.

Each item carries the start of the post (``excerpt``), who escalated it and the flag's history,
each step with its user's email, as the audit log shows users to the people who read it.

Reading the list is audited (``escalation.list``, with the flag ids shown). A flag about the
lead's own posts is not on it; a flag the lead escalated is marked, since a second lead closes
it and reveals its author (``duties``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from pipeline.audit import trail
from pipeline.clock import now
from pipeline.db.models import AppUser
from pipeline.review.duties import raised_by
from pipeline.review.guards import actor, get_flag, own_person_ids, require_role
from pipeline.review.views import responses_for

ESCALATED = text(
    """
    SELECT f.id, f.category, f.risk, r.rationale, r.created_at, a.owner_id,
           coalesce(pe.pseudonym, 'official account'), coalesce(pe.org_unit, a.org_unit),
           p.text, u.email,
           (SELECT json_agg(json_build_object('at', h.created_at, 'stage', h.stage,
                   'decision', h.decision, 'by', hu.email) ORDER BY h.id)
              FROM review h JOIN app_user hu ON hu.id = h.reviewer_id
              WHERE h.flag_id = f.id) AS history
    FROM flag f
    JOIN LATERAL (SELECT decision, rationale, created_at, reviewer_id FROM review
                  WHERE review.flag_id = f.id ORDER BY review.id DESC LIMIT 1) r ON true
    JOIN app_user u ON u.id = r.reviewer_id
    JOIN post p ON p.id = f.post_id JOIN account a ON a.id = p.account_id
    LEFT JOIN person pe ON pe.id = a.owner_id
    WHERE f.closed_at IS NOT NULL AND r.decision = 'escalate'
    ORDER BY r.created_at, f.id
    """
)
EXCERPT_CHARS = 280


def excerpt(text: str | None, limit: int = EXCERPT_CHARS) -> str | None:
    """The start of a post, cut at a word near ``limit`` characters (None when purged)."""
    if text is None:
        return None
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip(" ,;:.") + "…"


def escalations(
    session: Session, lead: AppUser, *, at: datetime | None = None
) -> list[dict[str, Any]]:
    """Escalated flags, oldest first, except those about the lead's own posts; audited."""
    require_role(lead, "lead")
    now(at)
    own = set(own_person_ids(session, lead))
    out = []
    for row in session.execute(ESCALATED).all():
        if row[5] is not None and row[5] in own:
            continue
        out.append(
            {
                "flag_id": row[0],
                "category": row[1],
                "risk": round(row[2], 3),
                "rationale": row[3],
                "escalated_at": row[4].isoformat(),
                "pseudonym": row[6],
                "org_unit": row[7],
                "raised_by_me": raised_by(session, lead, get_flag(session, row[0])),
                "responses": responses_for(session, row[0]),
                "excerpt": excerpt(row[8]),
                "escalated_by": row[9],
                "history": row[10] or [],
            }
        )
    trail.record(
        session,
        "escalation.list",
        actor=actor(lead),
        actor_user_id=lead.id,
        count=len(out),
        flag_ids=[e["flag_id"] for e in out],
    )
    return out
