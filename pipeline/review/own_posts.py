"""The employee's "My flags" page: one card per post of theirs that was flagged, in plain words.

Each card says what was flagged (the post), under which categories, why (the few strongest
reasons, from the post's own words and its context, never the policy's exemplars, which can
be offensive and belong to other categories), the question the guidance asks, in the post's
own language, what each decision means for them, the reviewers' and leads' words (labelled as
theirs), and whether a lead revealed who wrote it (when and why, from the ``identity.reveal``
audit events). Words are ``Words``: translated when the page renders, in its language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from pipeline.clock import now
from pipeline.db.models import AppUser
from pipeline.i18n import N_, gettext, normalize
from pipeline.labels import label
from pipeline.review.guards import require_role
from pipeline.review.status import status_of

QUESTION = N_(
    "Could a reasonable person reading this post doubt that you can do your work in a "
    "non-partisan and impartial way?"
)
MEANINGS = {
    "pending": N_("Not decided yet: a reviewer will read the post. Nothing is asked of you."),
    "in_review": N_("A reviewer is reading the post now. Nothing is asked of you."),
    "reopened": N_("A lead sent the post back for a new review. Nothing is asked of you yet."),
    "no_concern": N_(
        "No concern: the reviewer found nothing against the guidance. Nothing more happens."
    ),
    "advise": N_(
        "Advice: the reviewer thinks posts like this one could raise doubts about your "
        "impartiality, and says why below. It is advice, not a sanction; you may add your side "
        "or contest it."
    ),
    "escalated": N_(
        "Escalated: the reviewer asked a lead to decide. The lead reads what you add here "
        "before deciding."
    ),
    "refer": N_(
        "Referred: a lead passed the matter on for follow-up (for example to your manager or "
        "to values and ethics). Someone may contact you; you may add your side or contest it."
    ),
    "sample": N_(
        "Quality check: the post was picked for a check of the system's work; it was not "
        "flagged, and this says nothing about you."
    ),
}
FACTOR_REASONS = {
    "audience": N_("Your account has a large audience (%(value)s), so the post can travel far."),
    "seniority": N_("Your position (%(value)s) holds you to a higher standard."),
    "relevance": N_("The post seems to touch your own work or organization."),
    "tone": N_("The tone reads as heated or disrespectful."),
}
TERMS_REASON = N_("It uses words often linked to %(category)s: %(terms)s.")
CLOSE_REASON = N_("Its wording is close to what the guidance describes as %(category)s.")
DISCLAIMER_REASON = N_(
    "A disclaimer such as “views are my own” was set aside: the guidance says it does not "
    "remove the risk."
)
MAX_REASONS = 4
MAX_TERMS = 5


@dataclass(frozen=True)
class Words:
    """A message translated when shown: into ``lang`` if given, else the page's language."""

    message: str
    params: dict[str, Any] = field(default_factory=dict)
    lang: str | None = None

    def __str__(self) -> str:
        params = {k: str(v) for k, v in self.params.items()}
        words = gettext(self.message, self.lang)
        return words % params if params else words


@dataclass(frozen=True)
class _Labelled:
    """An identifier shown as its plain words, in the page's language."""

    value: str

    def __str__(self) -> str:
        return label(self.value)


OWN_POSTS = text(
    """
    SELECT f.id, f.post_id, f.category, f.is_sample, f.risk, f.closed_at, f.claimed_by_id,
           f.lease_expires_at, p.text, p.parts, p.url, p.published_at,
           coalesce(p.lang_detected, p.lang) AS lang, acc.platform, asm.explanation,
           (SELECT json_agg(json_build_object('stage', r.stage, 'decision', r.decision,
                   'clause', r.clause, 'rationale', r.rationale, 'at', r.created_at)
                   ORDER BY r.id) FROM review r WHERE r.flag_id = f.id) AS reviews,
           (SELECT json_agg(json_build_object('kind', e.kind, 'body', e.body,
                   'at', e.created_at) ORDER BY e.id)
              FROM employee_response e WHERE e.flag_id = f.id) AS responses
    FROM flag f JOIN post p ON p.id = f.post_id JOIN account acc ON acc.id = p.account_id
    LEFT JOIN assessment asm ON asm.id = f.assessment_id
    WHERE acc.owner_id = :person_id
    ORDER BY p.published_at DESC, p.id DESC, f.risk DESC, f.id
    """
)
REVEALS = text(
    """
    SELECT subject_id, at, details ->> 'reason' AS reason FROM audit_event
    WHERE action = 'identity.reveal' AND subject_type = 'flag' AND person_id = :person_id
    ORDER BY at, id
    """
)


def outcome(status: str, reviews: list[dict[str, Any]], is_sample: bool = False) -> str:
    """What a flag's state means for the employee, as a key of ``MEANINGS``."""
    latest = reviews[-1]["decision"] if reviews else None
    if status == "escalated":
        return "escalated"
    if status == "closed" and latest in MEANINGS:
        return str(latest)
    if latest == "reopen":
        return "reopened"
    if is_sample and not reviews:
        return "sample"
    return "in_review" if status == "claimed" else "pending"


def employee_explanation(explanation: dict[str, Any] | None) -> dict[str, Any]:
    """What of the machine's explanation the employee may read: the scores, thresholds and
    matched words of each category, the context factors. No exemplar (the policy's example
    posts, some offensive) and no nearest benign text."""
    ex = explanation or {}
    categories = ex.get("categories") if isinstance(ex.get("categories"), dict) else {}
    return {
        "categories": {
            name: {
                k: c.get(k) for k in ("score", "threshold", "flagged", "matched_terms") if k in c
            }
            for name, c in categories.items()
            if isinstance(c, dict)
        },
        "factors": ex.get("factors") if isinstance(ex.get("factors"), dict) else {},
        "disclaimer_stripped": bool(ex.get("disclaimer_stripped")),
    }


def reasons(explanation: dict[str, Any] | None, categories: list[str]) -> list[Words]:
    """The strongest reasons a post was flagged under ``categories``, as plain sentences:
    the post's own words for each category, then the context factors that raised the risk."""
    ex = employee_explanation(explanation)
    found: list[Words] = []
    for category in categories:
        terms = (ex["categories"].get(category) or {}).get("matched_terms") or []
        named = _Labelled(category)
        if terms:
            shown = ", ".join(f"“{t}”" for t in terms[:MAX_TERMS])
            found.append(Words(TERMS_REASON, {"category": named, "terms": shown}))
        elif category in ex["categories"]:
            found.append(Words(CLOSE_REASON, {"category": named}))
    raising = sorted(
        (
            (float(f.get("contribution") or 0), name, f.get("value"))
            for name, f in ex["factors"].items()
            if isinstance(f, dict) and name in FACTOR_REASONS
        ),
        reverse=True,
    )
    for contribution, name, value in raising:
        if contribution > 0:
            shown_value = _Labelled(str(value)) if name == "seniority" else value
            found.append(Words(FACTOR_REASONS[name], {"value": shown_value}))
    if ex["disclaimer_stripped"]:
        found.append(Words(DISCLAIMER_REASON))
    return found[:MAX_REASONS]


def _decisions(flags: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The post's decisions in order, one line per decision: a decision that covered several
    of its flags at once (same moment, words and outcome) lists their categories together."""
    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    for flag in flags:
        for r in flag["reviews"]:
            key = (r["at"], r["stage"], r["decision"], r["rationale"])
            line = merged.setdefault(key, {**r, "categories": []})
            line["categories"].append(flag["category"])
    return sorted(merged.values(), key=lambda line: line["at"])


def _primary(flags: list[dict[str, Any]]) -> dict[str, Any]:
    """The flag a response on the card goes to: an escalation first, then a decided flag,
    then the riskiest."""
    for wanted in ("escalated", "closed"):
        for flag in flags:
            if flag["status"] == wanted:
                return flag
    return flags[0]


def own_posts(
    session: Session, user: AppUser, *, at: datetime | None = None
) -> list[dict[str, Any]]:
    """One card per post of the employee's that has a flag, newest post first."""
    require_role(user, "employee")
    if user.person_id is None:
        return []
    at = now(at)
    params = {"person_id": user.person_id}
    reveals: dict[str, list[dict[str, Any]]] = {}
    for flag_id, when, reason in session.execute(REVEALS, params):
        reveals.setdefault(flag_id, []).append({"at": when, "reason": reason or ""})
    cards: dict[int, dict[str, Any]] = {}
    for r in session.execute(OWN_POSTS, params).mappings():
        card = cards.get(r["post_id"])
        if card is None:
            lang = normalize(r["lang"])
            card = cards[r["post_id"]] = {
                "post_id": r["post_id"],
                "text": r["text"],
                "parts": r["parts"] or {},
                "url": r["url"],
                "platform": r["platform"],
                "published_at": r["published_at"],
                "lang": lang,
                "question": Words(QUESTION, lang=lang),
                "explanation": r["explanation"],
                "flags": [],
                "reveals": [],
            }
        reviews = r["reviews"] or []
        status = status_of(
            closed_at=r["closed_at"],
            claimed_by_id=r["claimed_by_id"],
            lease_expires_at=r["lease_expires_at"],
            latest_decision=reviews[-1]["decision"] if reviews else None,
            at=at,
        )
        result = outcome(status, reviews, r["is_sample"])
        card["flags"].append(
            {
                "flag_id": r["id"],
                "category": r["category"],
                "is_sample": r["is_sample"],
                "status": status,
                "outcome": result,
                "meaning": Words(MEANINGS[result]),
                "reviews": reviews,
                "responses": r["responses"] or [],
            }
        )
        card["reveals"].extend(reveals.get(str(r["id"]), []))
    for card in cards.values():
        flagged = [f["category"] for f in card["flags"] if not f["is_sample"]]
        card["categories"] = list(dict.fromkeys(f["category"] for f in card["flags"]))
        card["reasons"] = reasons(card.pop("explanation"), flagged)
        card["reveals"].sort(key=lambda e: e["at"])
        card["decisions"] = _decisions(card["flags"])
        card["responses"] = sorted(
            (r for f in card["flags"] for r in f["responses"]), key=lambda r: r["at"]
        )
        primary = _primary(card["flags"])
        card["respond_to"] = primary["flag_id"]
        card["may_contest"] = primary["status"] in ("closed", "escalated")
    return list(cards.values())
