"""People: who works here, in which unit, at which seniority; every change audited."""

from __future__ import annotations

import secrets

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.audit import trail
from pipeline.db.models import Person
from pipeline.errors import InputError
from pipeline.vocabulary import SENIORITY_BANDS


def normalize_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise InputError(f"invalid email {email!r}: {exc}") from exc


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
    if seniority not in SENIORITY_BANDS:
        raise InputError(
            f"unknown seniority band {seniority!r}: use one of {', '.join(SENIORITY_BANDS)}"
        )
    if not name.strip() or not org_unit.strip():
        raise InputError("a person needs a name and an org unit")
    if session.scalar(select(Person.id).where(Person.email == email)):
        raise InputError(f"a person with email {email} is already registered")
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
        raise InputError(f"no person registered with email {email}: add them with 'people add'")
    return person


def list_people(session: Session) -> list[Person]:
    return list(session.scalars(select(Person).order_by(Person.email)))
