"""People: who works here, in which unit, at which seniority; every change audited.

A person is edited in place (name, email, org unit, seniority band: what the risk and the
reveal read next); the pseudonym never changes, so past decisions still point at the same
person. Retiring a person (``pipeline.privacy.retirement``) sets ``retired_at``: a retired
person gets no new sign-in account.
"""

from __future__ import annotations

import secrets

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.audit import trail
from pipeline.db.models import Person
from pipeline.errors import InputError
from pipeline.i18n import gettext as _
from pipeline.vocabulary import SENIORITY_BANDS


def normalize_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise InputError(
            _("invalid email %(email)r: %(exc)s") % {"email": email, "exc": exc}
        ) from exc


def add_person(
    session: Session,
    email: str,
    *,
    name: str,
    org_unit: str,
    seniority: str = "staff",
    actor: str,
) -> Person:
    email = normalize_email(email)
    _check_band(seniority)
    if not name.strip() or not org_unit.strip():
        raise InputError(_("a person needs a name and an org unit"))
    if session.scalar(select(Person.id).where(Person.email == email)):
        raise InputError(
            _("a person with email %(email)s is already registered") % {"email": email}
        )
    person = Person(
        email=email,
        display_name=name.strip(),
        org_unit=org_unit.strip(),
        seniority_band=seniority,
        pseudonym=f"P-{secrets.token_hex(3).upper()}",
    )
    session.add(person)
    session.flush()
    trail.record(
        session,
        "person.add",
        actor=actor,
        subject_type="person",
        subject_id=person.id,
        person_id=person.id,
    )
    return person


def person_by_email(session: Session, email: str) -> Person:
    email = normalize_email(email)
    person = session.scalar(select(Person).where(Person.email == email))
    if person is None:
        raise InputError(
            _("no person registered with email %(email)s: add them with 'people add'")
            % {"email": email}
        )
    return person


def list_people(session: Session) -> list[Person]:
    return list(session.scalars(select(Person).order_by(Person.email)))


def _check_band(seniority: str) -> None:
    if seniority not in SENIORITY_BANDS:
        raise InputError(
            _("unknown seniority band %(seniority)r: use one of %(bands)s")
            % {"seniority": seniority, "bands": ", ".join(SENIORITY_BANDS)}
        )


def edit_person(
    session: Session,
    email: str,
    *,
    name: str | None = None,
    new_email: str | None = None,
    org_unit: str | None = None,
    seniority: str | None = None,
    actor: str,
    actor_user_id: int | None = None,
) -> Person:
    """Change what is given (None or blank leaves a field as it is); audited as
    ``person.edit`` with the names of the fields changed, not their values."""
    person = person_by_email(session, email)
    changes: dict[str, str] = {}
    if name is not None and name.strip():
        changes["display_name"] = name.strip()[:200]
    if org_unit is not None and org_unit.strip():
        changes["org_unit"] = org_unit.strip()[:200]
    if seniority is not None and seniority.strip():
        _check_band(seniority.strip())
        changes["seniority_band"] = seniority.strip()
    if new_email is not None and new_email.strip():
        address = normalize_email(new_email)
        if address != person.email:
            taken = session.scalar(select(Person.id).where(Person.email == address))
            if taken:
                raise InputError(
                    _("a person with email %(email)s is already registered") % {"email": address}
                )
        changes["email"] = address
    changed = {k: v for k, v in changes.items() if getattr(person, k) != v}
    if not changed:
        raise InputError(
            _("nothing to change for %(email)s: give a new name, email, org unit or seniority")
            % {"email": person.email}
        )
    details: dict[str, object] = {"changed": sorted(changed)}
    if "seniority_band" in changed:
        details.update(from_seniority=person.seniority_band, seniority=changed["seniority_band"])
    for key, value in changed.items():
        setattr(person, key, value)
    session.flush()
    trail.record(
        session,
        "person.edit",
        actor=actor,
        actor_user_id=actor_user_id,
        subject_type="person",
        subject_id=person.id,
        person_id=person.id,
        **details,
    )
    return person


def person_by_id(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise InputError(_("no person %(id)s: see the list of people") % {"id": person_id})
    return person


def check_not_retired(person: Person) -> Person:
    """``person``, unless retired: a retired person is given no new account or role."""
    if person.retired_at is not None:
        raise InputError(
            _("%(email)s was retired on %(day)s")
            % {"email": person.email, "day": f"{person.retired_at:%Y-%m-%d}"}
        )
    return person
