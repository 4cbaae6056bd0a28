"""Access requests (Privacy Act): everything held about one person, as JSON-ready data.

Reviewers' identities are other people's personal information: decisions are exported with
their stage, decision, clause, rationale and date, and whoever handled the person's records
(reviewers, leads, operators in the audit events, consents and holds) appears only as a
pseudonym such as "reviewer 1" or "lead 2" (:mod:`pipeline.privacy.pseudonyms`).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from pipeline.audit import trail
from pipeline.clock import now
from pipeline.privacy.pseudonyms import Pseudonyms
from pipeline.registry import people

# Each section: a query taking :person. Posts are those of the person's own accounts.
_OWN_POSTS = """SELECT p.id FROM post p JOIN account a ON a.id = p.account_id
    WHERE a.owner_id = :person"""
_OWN_FLAGS = f"SELECT f.id FROM flag f WHERE f.post_id IN ({_OWN_POSTS})"

SECTIONS: dict[str, str] = {
    "accounts": """SELECT id, platform, host, handle, kind, org_unit, display_name, external_id,
        audience_size, active, created_at, deactivated_at FROM account
        WHERE owner_id = :person ORDER BY id""",
    "consents": """SELECT id, scope, account_id, purpose, evidence, granted_at, expires_at,
        withdrawn_at, recorded_by, created_at FROM consent WHERE person_id = :person ORDER BY id""",
    "legal_holds": """SELECT id, reason, placed_by, placed_at, released_at FROM legal_hold
        WHERE person_id = :person ORDER BY id""",
    "posts": f"""SELECT id, account_id, external_id, url, text, lang, lang_detected,
        content_hash, published_at, edited_at, fetched_at, text_purged_at, meta, parts
        FROM post WHERE id IN ({_OWN_POSTS}) ORDER BY published_at, id""",
    "assessments": f"""SELECT s.id, s.post_id, c.version AS classifier_version,
        s.policy_version, s.content_hash, s.scores, s.risk, s.factors, s.explanation,
        s.created_at FROM assessment s JOIN classifier c ON c.id = s.classifier_id
        WHERE s.post_id IN ({_OWN_POSTS}) ORDER BY s.id""",
    "flags": f"""SELECT id, post_id, assessment_id, category, content_hash, score, risk,
        is_sample, group_key, closed_at, created_at FROM flag
        WHERE id IN ({_OWN_FLAGS}) ORDER BY id""",
    "decisions": f"""SELECT id, flag_id, stage, reviewer_id, decision, clause, rationale,
        created_at FROM review WHERE flag_id IN ({_OWN_FLAGS}) ORDER BY flag_id, created_at, id""",
    "responses": """SELECT er.id, er.flag_id, er.kind, er.body, er.created_at
        FROM employee_response er JOIN app_user u ON u.id = er.user_id
        WHERE u.person_id = :person ORDER BY er.id""",
    "user_accounts": """SELECT id, email, role, active, last_login_at, created_at
        FROM app_user WHERE person_id = :person ORDER BY id""",
    "audit_events": """SELECT id, at, actor, actor_user_id, action, subject_type, subject_id,
        details FROM audit_event WHERE person_id = :person ORDER BY at, id""",
}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def _pseudonymize(data: dict[str, Any], names: Pseudonyms) -> None:
    """Replace every other person in the export by their pseudonym (see the module docstring)."""
    for review in data["decisions"]:
        review["reviewer"] = names.user(review.pop("reviewer_id"))
    for consent in data["consents"]:
        consent["recorded_by"] = names.actor(consent["recorded_by"])
    for hold in data["legal_holds"]:
        hold["placed_by"] = names.actor(hold["placed_by"])
        hold["reason"] = names.scrub(hold["reason"])
    for event in data["audit_events"]:
        event["actor"] = names.actor(event["actor"], event.pop("actor_user_id"))
        event["details"] = names.scrub(event["details"])


def export_person(session: Session, email: str, *, actor: str) -> dict[str, Any]:
    """Everything held about the person with this email; the export itself is audited."""
    person = people.person_by_email(session, email)
    params = {"person": person.id}
    data: dict[str, Any] = {
        "exported_at": now().isoformat(),
        "person": {
            "id": person.id,
            "email": person.email,
            "display_name": person.display_name,
            "org_unit": person.org_unit,
            "seniority_band": person.seniority_band,
            "pseudonym": person.pseudonym,
            "created_at": person.created_at.isoformat(),
        },
    }
    for section, query in SECTIONS.items():
        rows = session.execute(text(query), params).mappings().all()
        data[section] = [{k: _plain(v) for k, v in row.items()} for row in rows]
    _pseudonymize(data, Pseudonyms(session, person.id, person.email))
    trail.record(
        session,
        "privacy.export",
        actor=actor,
        subject_type="person",
        subject_id=person.id,
        person_id=person.id,
        **{section: len(data[section]) for section in SECTIONS},
    )
    return data
