"""The employee's side: their own flags and decisions, and their comments or contests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from pipeline.clock import now
from pipeline.db.models import AppUser, EmployeeResponse
from pipeline.errors import InputError
from pipeline.i18n import _
from pipeline.review.guards import audit_flag, get_flag, hidden, owner_of, require_role
from pipeline.review.own_posts import employee_explanation
from pipeline.review.status import status_of

OWN_FLAGS = text(
    """
    SELECT f.id, f.category, f.is_sample, f.created_at, f.closed_at, f.claimed_by_id,
           f.lease_expires_at, p.text, p.parts, p.url, p.published_at, acc.platform, asm.explanation,
           (SELECT json_agg(json_build_object('stage', r.stage, 'decision', r.decision,
                   'clause', r.clause, 'rationale', r.rationale, 'at', r.created_at)
                   ORDER BY r.id) FROM review r WHERE r.flag_id = f.id) AS reviews,
           (SELECT json_agg(json_build_object('kind', e.kind, 'body', e.body,
                   'at', e.created_at) ORDER BY e.id)
              FROM employee_response e WHERE e.flag_id = f.id) AS responses
    FROM flag f JOIN post p ON p.id = f.post_id JOIN account acc ON acc.id = p.account_id
    LEFT JOIN assessment asm ON asm.id = f.assessment_id
    WHERE acc.owner_id = :person_id
    ORDER BY f.created_at DESC, f.id DESC
    """
)

MAX_RESPONSE_CHARS = 5000


def own_flags(
    session: Session, user: AppUser, *, at: datetime | None = None
) -> list[dict[str, Any]]:
    """Every flag about the employee's own posts, with its decisions and their responses
    (the explanation without the policy's exemplars: ``own_posts.employee_explanation``)."""
    require_role(user, "employee")
    if user.person_id is None:
        return []
    at = now(at)
    out = []
    for r in session.execute(OWN_FLAGS, {"person_id": user.person_id}).mappings():
        reviews = r["reviews"] or []
        out.append(
            {
                "flag_id": r["id"],
                "category": r["category"],
                "is_sample": r["is_sample"],
                "status": status_of(
                    closed_at=r["closed_at"],
                    claimed_by_id=r["claimed_by_id"],
                    lease_expires_at=r["lease_expires_at"],
                    latest_decision=reviews[-1]["decision"] if reviews else None,
                    at=at,
                ),
                "text": r["text"],
                "parts": r["parts"] or {},
                "url": r["url"],
                "platform": r["platform"],
                "published_at": r["published_at"].isoformat(),
                "explanation": employee_explanation(r["explanation"]),
                "reviews": reviews,
                "responses": r["responses"] or [],
            }
        )
    return out


def respond(
    session: Session, flag_id: int, user: AppUser, *, kind: str, body: str
) -> EmployeeResponse:
    """Record the employee's side (``comment``) or a contest of a decision (``contest``)."""
    require_role(user, "employee")
    flag = get_flag(session, flag_id)
    if user.person_id is None or owner_of(session, flag) != user.person_id:
        raise hidden(f"flag {flag_id} is not about the employee's own posts")
    if kind not in ("comment", "contest"):
        raise InputError(_("a response is a 'comment' (your side) or a 'contest' of a decision"))
    body = (body or "").strip()
    if not body:
        raise InputError(_("write what you want the lead to read"))
    if len(body) > MAX_RESPONSE_CHARS:
        raise InputError(_("keep it under %(n)s characters") % {"n": MAX_RESPONSE_CHARS})
    if kind == "contest" and flag.closed_at is None:
        raise InputError(_("there is no decision to contest yet: add your side as a comment"))
    response = EmployeeResponse(flag_id=flag.id, user_id=user.id, kind=kind, body=body)
    session.add(response)
    session.flush()
    audit_flag(
        session,
        f"employee.{kind}",
        user,
        flag.id,
        user.person_id,
    )
    return response
