"""The privacy lifecycle: consent withdrawal purges, legal holds, retention, access requests.

The heavy lifting lives in :mod:`pipeline.purge`, :mod:`pipeline.retention` and
:mod:`pipeline.person_export`; this module is the one place callers (CLI, web app, DAGs) use.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline import audit, registry
from pipeline.db.models import Consent, LegalHold
from pipeline.errors import InputError
from pipeline.person_export import export_person
from pipeline.purge import held_person_ids, now, purge_account_content, unconsented_accounts
from pipeline.retention import run_retention

__all__ = [
    "export_person",
    "held_person_ids",
    "list_holds",
    "place_hold",
    "purge_account_content",
    "release_hold",
    "run_retention",
    "unconsented_accounts",
    "withdraw_and_purge",
]


# --- legal holds ---------------------------------------------------------------------------


def place_hold(
    session: Session, email: str, *, reason: str, actor: str, at: datetime | None = None
) -> LegalHold:
    """Suspend every purge of a person's data (litigation, investigation, access request)."""
    person = registry.person_by_email(session, email)
    if not reason.strip():
        raise InputError("a legal hold needs a reason: say which matter requires it")
    hold = LegalHold(person_id=person.id, reason=reason.strip(), placed_by=actor)
    if at is not None:
        hold.placed_at = at
    session.add(hold)
    session.flush()
    audit.record(
        session,
        "legal_hold.place",
        actor=actor,
        subject_type="legal_hold",
        subject_id=hold.id,
        person_id=person.id,
    )
    return hold


def release_hold(
    session: Session, hold_id: int, *, actor: str, at: datetime | None = None
) -> LegalHold:
    hold = session.get(LegalHold, hold_id)
    if hold is None:
        raise InputError(f"no legal hold with id {hold_id}: see 'impartial hold list --all'")
    if hold.released_at is not None:
        raise InputError(
            f"legal hold {hold_id} was already released on {hold.released_at:%Y-%m-%d}"
        )
    hold.released_at = at or now()
    audit.record(
        session,
        "legal_hold.release",
        actor=actor,
        subject_type="legal_hold",
        subject_id=hold.id,
        person_id=hold.person_id,
    )
    return hold


def list_holds(session: Session, *, include_released: bool = False) -> list[LegalHold]:
    query = select(LegalHold).order_by(LegalHold.id)
    if not include_released:
        query = query.where(LegalHold.released_at.is_(None))
    return list(session.scalars(query))


# --- consent withdrawal ----------------------------------------------------------------------


def withdraw_and_purge(
    session: Session,
    email: str,
    *,
    actor: str,
    consent_id: int | None = None,
    at: datetime | None = None,
) -> tuple[list[Consent], dict[str, int]]:
    """Withdraw consent and, in the same transaction, purge every account it no longer covers.

    An account still covered by another consent in force (e.g. a general one when an
    account-scoped consent is withdrawn) keeps its content.
    """
    at = at or now()
    withdrawn = registry.withdraw_consent(session, email, actor=actor, consent_id=consent_id, at=at)
    session.flush()
    person_id = withdrawn[0].person_id
    counts = purge_account_content(
        session,
        unconsented_accounts(session, at, person_id),
        actor=actor,
        reason="consent withdrawn",
        at=at,
    )
    return withdrawn, counts
