"""Legal holds: while one is in force, nothing of that person's is purged (retention and
withdrawal alike). Placing and releasing a hold is audited.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.audit import trail
from pipeline.clock import now
from pipeline.db.models import LegalHold
from pipeline.errors import InputError
from pipeline.i18n import _
from pipeline.registry import people


def place_hold(
    session: Session, email: str, *, reason: str, actor: str, at: datetime | None = None
) -> LegalHold:
    """Suspend every purge of a person's data (litigation, investigation, access request)."""
    person = people.person_by_email(session, email)
    if not reason.strip():
        raise InputError(_("a legal hold needs a reason: say which matter requires it"))
    hold = LegalHold(person_id=person.id, reason=reason.strip(), placed_by=actor)
    if at is not None:
        hold.placed_at = at
    session.add(hold)
    session.flush()
    trail.record(
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
        raise InputError(
            _("no legal hold with id %(hold_id)s: see 'impartial hold list --all'")
            % {"hold_id": hold_id}
        )
    if hold.released_at is not None:
        raise InputError(
            _("legal hold %(hold_id)s was already released on %(day)s")
            % {"hold_id": hold_id, "day": f"{hold.released_at:%Y-%m-%d}"}
        )
    hold.released_at = at or now()
    trail.record(
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
