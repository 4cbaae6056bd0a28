"""What people see: the blind view of a review item (a post and its flags), similar past
decisions.

The view is of an item (``items``): any flag of a post shows the post once, with each of its
flags the viewer may know (a reviewer: the ones they hold or decided; a lead: all) as one of
its categories, and the history of every one of them. Reviewers see a pseudonym, org unit,
seniority band, audience size and the post. The identity
(name, email, handle, link of a personal account) is shown only to a lead, on an escalated
flag, through ``reveals.reveal_identity``. The similar decided flags never include a flag about
the viewer's own posts: seeing how one's own post was judged is a conflict of interest too.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from pipeline.clock import now
from pipeline.db.models import Account, AppUser, Assessment, EmployeeResponse, Flag, Person, Post
from pipeline.i18n import _, normalize
from pipeline.review.claims import holds_claim
from pipeline.review.duties import raised_by
from pipeline.review.errors import Conflict
from pipeline.review.guards import audit_flag, require_role, visible_flag
from pipeline.review.items import post_flags, risk_level
from pipeline.review.similar import similar_decided
from pipeline.review.status import flag_status


@dataclass
class FlagView:
    """A review item as its reader sees it. ``id``, ``category``, ``score`` and ``status`` are
    the flag the item was opened by; ``risk`` is the item's (its riskiest flag's);
    ``categories`` holds every flag of the item the viewer may know, each with its own score,
    status and whether the viewer decides it now (``mine``)."""

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
    post_id: int = 0
    # the post's language (en or fr: ours for official accounts, else the platform's tag)
    lang: str | None = None
    risk_level: str = "low_risk"
    categories: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["published_at"] = self.published_at.isoformat()
        return data


def may_view(session: Session, user: AppUser, flag: Flag, at: datetime) -> bool:
    if user.role == "lead":
        return True
    if user.role == "reviewer":
        return holds_claim(flag, user, at) or decided_by(session, user, flag)
    return False


def decided_by(session: Session, user: AppUser, flag: Flag) -> bool:
    return bool(
        session.scalar(
            text("SELECT 1 FROM review WHERE flag_id = :f AND reviewer_id = :u LIMIT 1"),
            {"f": flag.id, "u": user.id},
        )
    )


def _group_size(session: Session, flag: Flag) -> int:
    if not flag.group_key:
        return 1
    return session.scalar(
        text("SELECT count(*) FROM flag WHERE group_key = :k AND (closed_at IS NULL) = :o"),
        {"k": flag.group_key, "o": flag.closed_at is None},
    )


def _reviews(session: Session, flags: list[Flag]) -> list[dict[str, Any]]:
    rows = session.execute(
        text(
            "SELECT r.stage, r.decision, r.clause, r.rationale, r.created_at, f.category, f.id "
            "FROM review r JOIN flag f ON f.id = r.flag_id "
            "WHERE r.flag_id = ANY(CAST(:ids AS bigint[])) ORDER BY r.id"
        ),
        {"ids": [f.id for f in flags]},
    ).all()
    return [
        {
            "stage": r[0],
            "decision": r[1],
            "clause": r[2],
            "rationale": r[3],
            "at": r[4].isoformat(),
            "category": r[5],
            "flag_id": r[6],
        }
        for r in rows
    ]


def _item(session: Session, flag: Flag, user: AppUser, at: datetime) -> list[Flag]:
    """The flags of ``flag``'s post the user may see in the item, riskiest first."""
    return [
        f
        for f in post_flags(session, flag.post_id)
        if f.id == flag.id or user.role == "lead" or may_view(session, user, f, at)
    ]


def view_flag(
    session: Session, flag_id: int, user: AppUser, *, at: datetime | None = None
) -> FlagView:
    """The blind view of the item of ``flag_id`` for a reviewer or lead; audited as
    ``flag.view`` (with the ids of the flags shown)."""
    require_role(user, "reviewer", "lead")
    at = now(at)
    flag = visible_flag(session, flag_id, user)
    if not may_view(session, user, flag, at):
        raise Conflict(
            _("your lease on flag %(id)s expired: claim the next item instead") % {"id": flag_id}
        )
    post = session.get(Post, flag.post_id)
    account = session.get(Account, post.account_id)
    owner = session.get(Person, account.owner_id) if account.owner_id else None
    assessment = session.get(Assessment, flag.assessment_id) if flag.assessment_id else None
    item = _item(session, flag, user, at)
    categories = [
        {
            "flag_id": f.id,
            "category": f.category,
            "score": f.score,
            "risk": f.risk,
            "is_sample": f.is_sample,
            "status": flag_status(session, f, at),
            "group_size": _group_size(session, f),
            "mine": holds_claim(f, user, at),
        }
        for f in item
    ]
    risk = max(f.risk for f in item)
    view = FlagView(
        id=flag.id,
        category=flag.category,
        status=flag_status(session, flag, at),
        score=flag.score,
        risk=risk,
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
        group_size=max(c["group_size"] for c in categories if c["mine"] or c["flag_id"] == flag.id),
        claimed_by_me=any(c["mine"] for c in categories),
        reviews=_reviews(session, item),
        similar=similar_decided(session, flag, user),
        raised_by_me=user.role == "lead" and raised_by(session, user, flag),
        post_id=post.id,
        lang=normalize(post.lang_detected) or normalize(post.lang),
        risk_level=risk_level(risk),
        categories=categories,
    )
    if user.role == "lead":
        view.responses = [r for f in item for r in responses_for(session, f.id)]
    audit_flag(
        session,
        "flag.view",
        user,
        flag.id,
        owner.id if owner else None,
        flag_ids=[f.id for f in item],
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
