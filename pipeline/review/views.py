"""What people see: the blind view of a flag, similar past decisions, queue counts.

Reviewers see a pseudonym, org unit, seniority band, audience size and the post. The identity
(name, email, handle, link of a personal account) is shown only to a lead, on an escalated
flag, through ``reveals.reveal_identity``. The similar decided flags never include a flag about
the viewer's own posts: seeing how one's own post was judged is a conflict of interest too.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from pipeline.clock import now
from pipeline.db.models import Account, AppUser, Assessment, EmployeeResponse, Flag, Person, Post
from pipeline.review.claims import holds_claim
from pipeline.review.duties import raised_by
from pipeline.review.errors import Conflict
from pipeline.review.guards import audit_flag, own_person_ids, require_role, visible_flag
from pipeline.review.status import flag_status

SIMILAR = text(
    """
    SELECT f.id, f.category, r.decision, r.clause, r.rationale, (e.vector <=> mine.vector) AS d
    FROM embedding mine
    JOIN classifier live ON live.status = 'live'
         AND split_part(mine.model_id, '@', 1) = live.model_id
    JOIN embedding e ON e.model_id = mine.model_id AND e.dim = mine.dim
    JOIN flag f ON f.content_hash = e.content_hash
    JOIN LATERAL (SELECT decision, clause, rationale FROM review
                  WHERE review.flag_id = f.id ORDER BY review.id DESC LIMIT 1) r ON true
    WHERE mine.content_hash = :content_hash AND f.closed_at IS NOT NULL AND f.id <> :flag_id
      AND (f.group_key IS DISTINCT FROM :group_key)
      AND NOT EXISTS (
          SELECT 1 FROM post p JOIN account a ON a.id = p.account_id
          WHERE p.id = f.post_id AND a.owner_id = ANY(CAST(:own AS integer[])))
    ORDER BY e.vector <=> mine.vector, f.id
    LIMIT :limit
    """
)


@dataclass
class FlagView:
    id: int
    category: str
    status: str
    score: float
    risk: float
    is_sample: bool
    pseudonym: str
    org_unit: str | None
    seniority_band: str | None
    audience_size: int | None
    account_kind: str
    platform: str
    text: str | None
    published_at: datetime
    url: str | None
    explanation: dict[str, Any]
    factors: dict[str, Any]
    group_size: int
    claimed_by_me: bool
    raised_by_me: bool = False
    reviews: list[dict[str, Any]] = field(default_factory=list)
    similar: list[dict[str, Any]] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)
    # the post's parts (pipeline.ingest.sources.parts); empty for posts stored before them
    parts: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["published_at"] = self.published_at.isoformat()
        return data


def similar_decided(
    session: Session, flag: Flag, viewer: AppUser, *, limit: int = 5
) -> list[dict[str, Any]]:
    """The ``limit`` already-decided flags most similar to ``flag`` (pgvector cosine distance
    between vectors of the live classifier's model, at any precision), none of them about
    ``viewer``'s own posts."""
    rows = session.execute(
        SIMILAR,
        {
            "content_hash": flag.content_hash,
            "flag_id": flag.id,
            "group_key": flag.group_key,
            "own": own_person_ids(session, viewer),
            "limit": limit,
        },
    ).all()
    return [
        {
            "flag_id": r[0],
            "category": r[1],
            "decision": r[2],
            "clause": r[3],
            "rationale": r[4],
            "distance": round(float(r[5]), 4),
        }
        for r in rows
    ]


def may_view(session: Session, user: AppUser, flag: Flag, at: datetime) -> bool:
    if user.role == "lead":
        return True
    if user.role == "reviewer":
        return holds_claim(flag, user, at) or bool(
            session.scalar(
                text("SELECT 1 FROM review WHERE flag_id = :f AND reviewer_id = :u LIMIT 1"),
                {"f": flag.id, "u": user.id},
            )
        )
    return False


def view_flag(
    session: Session, flag_id: int, user: AppUser, *, at: datetime | None = None
) -> FlagView:
    """The blind view of one flag for a reviewer or lead; audited as ``flag.view``."""
    require_role(user, "reviewer", "lead")
    at = now(at)
    flag = visible_flag(session, flag_id, user)
    if not may_view(session, user, flag, at):
        raise Conflict(f"your lease on flag {flag_id} expired: claim the next flag instead")
    post = session.get(Post, flag.post_id)
    account = session.get(Account, post.account_id)
    owner = session.get(Person, account.owner_id) if account.owner_id else None
    assessment = session.get(Assessment, flag.assessment_id) if flag.assessment_id else None
    group_size = 1
    if flag.group_key:
        group_size = session.scalar(
            text("SELECT count(*) FROM flag WHERE group_key = :k AND (closed_at IS NULL) = :o"),
            {"k": flag.group_key, "o": flag.closed_at is None},
        )
    reviews = session.execute(
        text(
            "SELECT stage, decision, clause, rationale, created_at FROM review "
            "WHERE flag_id = :f ORDER BY id"
        ),
        {"f": flag.id},
    ).all()
    view = FlagView(
        id=flag.id,
        category=flag.category,
        status=flag_status(session, flag, at),
        score=flag.score,
        risk=flag.risk,
        is_sample=flag.is_sample,
        pseudonym=owner.pseudonym if owner else f"official account ({account.org_unit})",
        org_unit=owner.org_unit if owner else account.org_unit,
        seniority_band=owner.seniority_band if owner else None,
        audience_size=account.audience_size,
        account_kind=account.kind,
        platform=account.platform,
        text=post.text,
        parts=blind_parts(post.parts or {}) if account.kind != "official" else post.parts or {},
        published_at=post.published_at,
        # A personal account's link names the person: it stays hidden until a lead reveals.
        url=post.url if account.kind == "official" else None,
        explanation=assessment.explanation if assessment else {},
        factors=assessment.factors if assessment else {},
        group_size=group_size,
        claimed_by_me=holds_claim(flag, user, at),
        reviews=[
            {
                "stage": r[0],
                "decision": r[1],
                "clause": r[2],
                "rationale": r[3],
                "at": r[4].isoformat(),
            }
            for r in reviews
        ],
        similar=similar_decided(session, flag, user),
        raised_by_me=user.role == "lead" and raised_by(session, user, flag),
    )
    if user.role == "lead":
        view.responses = responses_for(session, flag.id)
    audit_flag(
        session,
        "flag.view",
        user,
        flag.id,
        owner.id if owner else None,
    )
    return view


def blind_parts(parts: dict[str, Any]) -> dict[str, Any]:
    """A personal post's parts without the addresses of the posts it quotes or answers: a
    self-quote or a reply in one's own thread would name the author."""
    out = {k: v for k, v in parts.items() if k != "reply_to"}
    if isinstance(out.get("quote"), dict):
        out["quote"] = {k: v for k, v in out["quote"].items() if k != "url"}
    return out


def responses_for(session: Session, flag_id: int) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(EmployeeResponse)
        .where(EmployeeResponse.flag_id == flag_id)
        .order_by(EmployeeResponse.id)
    )
    return [{"kind": r.kind, "body": r.body, "at": r.created_at.isoformat()} for r in rows]


AGE_BUCKETS = (("< 1 day", 1), ("1-3 days", 3), ("3-7 days", 7), ("> 7 days", None))


def queue_stats(session: Session, *, at: datetime | None = None) -> dict[str, Any]:
    """Queued flags by category and age, plus claimed and escalated counts."""
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
    escalated = session.scalar(
        text(
            "SELECT count(*) FROM flag f WHERE f.closed_at IS NOT NULL AND (SELECT decision "
            "FROM review r WHERE r.flag_id = f.id ORDER BY r.id DESC LIMIT 1) = 'escalate'"
        )
    )
    return {
        "queued": queued,
        "claimed": claimed,
        "escalated": escalated,
        "by_category": by_category,
        "age_buckets": [b[0] for b in AGE_BUCKETS],
    }


def my_claims(session: Session, user: AppUser, *, at: datetime | None = None) -> list[dict]:
    at = now(at)
    rows = session.execute(
        select(Flag.id, Flag.category, Flag.risk, Flag.lease_expires_at)
        .where(Flag.claimed_by_id == user.id, Flag.closed_at.is_(None), Flag.lease_expires_at > at)
        .order_by(Flag.lease_expires_at)
    ).all()
    return [
        {
            "flag_id": r[0],
            "category": r[1],
            "risk": round(r[2], 3),
            "lease_expires_at": r[3].isoformat(),
        }
        for r in rows
    ]
