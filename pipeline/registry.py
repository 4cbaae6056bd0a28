"""People, accounts and the consent ledger: who may be scanned, and why.

Every change is audited in the same transaction. ``eligible_accounts`` is the only way the
scan chooses accounts.
"""

from __future__ import annotations

import csv
import io
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session

from pipeline import audit, handles
from pipeline.db.models import ACCOUNT_KINDS, SENIORITY_BANDS, Account, Consent, Person
from pipeline.errors import InputError

DEFAULT_PURPOSE = (
    "Review of public posts against the guidance on public servants' personal use of social "
    "media, with human review of every flag."
)


def now() -> datetime:
    return datetime.now(UTC)


def normalize_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise InputError(f"invalid email {email!r}: {exc}") from exc


# --- people ------------------------------------------------------------------------------


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
    audit.record(
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


# --- accounts ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountSpec:
    """An account as a user describes it (CLI options or a CSV row)."""

    platform: str
    handle: str
    kind: str
    owner: str | None = None
    org_unit: str | None = None
    host: str | None = None
    display_name: str | None = None


def add_account(session: Session, spec: AccountSpec, *, actor: str) -> Account:
    address = handles.parse(spec.platform, spec.handle, spec.host or None)
    kind = spec.kind.strip().lower()
    if kind not in ACCOUNT_KINDS:
        raise InputError(f"unknown account kind {spec.kind!r}: use official or personal")
    owner = person_by_email(session, spec.owner) if spec.owner else None
    if kind == "personal" and owner is None:
        raise InputError("a personal account needs an owner: give the owner's email")
    org_unit = (spec.org_unit or "").strip() or (owner.org_unit if owner else None)
    if org_unit is None:
        raise InputError("an official account needs an org unit or an owner")
    duplicate = session.scalar(
        select(Account.id).where(
            Account.platform == address.platform,
            Account.host == address.host,
            Account.handle == address.handle,
        )
    )
    if duplicate:
        raise InputError(
            f"account {address.platform} {address.handle} on {address.host} is already "
            f"registered (id {duplicate})"
        )
    account = Account(
        platform=address.platform,
        host=address.host,
        handle=address.handle,
        kind=kind,
        owner=owner,
        org_unit=org_unit,
        display_name=spec.display_name or None,
    )
    session.add(account)
    session.flush()
    audit.record(
        session,
        "account.add",
        actor=actor,
        subject_type="account",
        subject_id=account.id,
        person_id=owner.id if owner else None,
        kind=kind,
        platform=address.platform,
    )
    return account


CSV_COLUMNS = ("platform", "handle", "kind", "owner", "org_unit", "host", "display_name")


def import_accounts(session: Session, csv_text: str, *, actor: str) -> list[Account]:
    """Add every row or none: the first bad row raises ``InputError`` naming its line."""
    reader = csv.DictReader(io.StringIO(csv_text))
    missing = {"platform", "handle", "kind"} - set(reader.fieldnames or ())
    if missing:
        raise InputError(
            f"line 1: the CSV header lacks {', '.join(sorted(missing))} "
            f"(columns: {', '.join(CSV_COLUMNS)})"
        )
    unknown = set(reader.fieldnames or ()) - set(CSV_COLUMNS)
    if unknown:
        raise InputError(f"line 1: unknown column(s) {', '.join(sorted(unknown))}")
    added = []
    for row in reader:
        if None in row or any(v is None for v in row.values()):
            raise InputError(f"line {reader.line_num}: wrong number of fields")
        spec = AccountSpec(**{k: (v or "").strip() or None for k, v in row.items()})  # type: ignore[arg-type]
        try:
            with session.begin_nested():
                added.append(add_account(session, spec, actor=actor))
        except InputError as exc:
            raise InputError(f"line {reader.line_num}: {exc}") from exc
    if not added:
        raise InputError("the CSV holds no account rows")
    return added


def list_accounts(session: Session, *, include_inactive: bool = False) -> list[Account]:
    query = select(Account).order_by(Account.id)
    if not include_inactive:
        query = query.where(Account.active)
    return list(session.scalars(query))


def deactivate_account(session: Session, account_id: int, *, actor: str) -> Account:
    account = session.get(Account, account_id)
    if account is None:
        raise InputError(f"no account with id {account_id}")
    if not account.active:
        raise InputError(f"account {account_id} is already deactivated")
    account.active = False
    account.deactivated_at = now()
    audit.record(
        session,
        "account.deactivate",
        actor=actor,
        subject_type="account",
        subject_id=account.id,
        person_id=account.owner_id,
    )
    return account


# --- consent -----------------------------------------------------------------------------


def grant_consent(
    session: Session,
    email: str,
    *,
    evidence: str,
    actor: str,
    expires_at: datetime | None = None,
    account_id: int | None = None,
    purpose: str = DEFAULT_PURPOSE,
    at: datetime | None = None,
) -> Consent:
    person = person_by_email(session, email)
    granted_at = at or now()
    if not evidence.strip():
        raise InputError("consent needs evidence: say where the signed opt-in is kept")
    if expires_at is not None and expires_at <= granted_at:
        raise InputError(f"the expiry {expires_at:%Y-%m-%d} is not after the grant")
    if account_id is not None:
        account = session.get(Account, account_id)
        if account is None or account.owner_id != person.id:
            raise InputError(f"account {account_id} is not an account of {person.email}")
    consent = Consent(
        person=person,
        scope="account" if account_id is not None else "all",
        account_id=account_id,
        purpose=purpose,
        evidence=evidence.strip(),
        granted_at=granted_at,
        expires_at=expires_at,
        recorded_by=actor,
    )
    session.add(consent)
    session.flush()
    audit.record(
        session,
        "consent.grant",
        actor=actor,
        subject_type="consent",
        subject_id=consent.id,
        person_id=person.id,
        scope=consent.scope,
    )
    return consent


def withdraw_consent(
    session: Session,
    email: str,
    *,
    actor: str,
    consent_id: int | None = None,
    at: datetime | None = None,
) -> list[Consent]:
    """Record the withdrawal of one consent, or of every active one of the person."""
    person = person_by_email(session, email)
    at = at or now()
    active = [c for c in person.consents if c.withdrawn_at is None]
    if consent_id is not None:
        active = [c for c in active if c.id == consent_id]
    if not active:
        raise InputError(f"{person.email} has no consent to withdraw")
    for consent in active:
        consent.withdrawn_at = at
        audit.record(
            session,
            "consent.withdraw",
            actor=actor,
            subject_type="consent",
            subject_id=consent.id,
            person_id=person.id,
        )
    return active


def list_consents(session: Session, email: str | None = None) -> list[Consent]:
    query = select(Consent).order_by(Consent.id)
    if email:
        query = query.where(Consent.person_id == person_by_email(session, email).id)
    return list(session.scalars(query))


def consent_state(consent: Consent, at: datetime | None = None) -> str:
    at = at or now()
    if consent.withdrawn_at is not None and consent.withdrawn_at <= at:
        return "withdrawn"
    if consent.granted_at > at:
        return "pending"
    if consent.expires_at is not None and consent.expires_at <= at:
        return "expired"
    return "active"


def active_consent_clause(at: datetime):
    """SQL condition: the account's owner has a consent in force at ``at`` covering it."""
    return exists().where(
        Consent.person_id == Account.owner_id,
        Consent.granted_at <= at,
        or_(Consent.expires_at.is_(None), Consent.expires_at > at),
        or_(Consent.withdrawn_at.is_(None), Consent.withdrawn_at > at),
        or_(Consent.scope == "all", Consent.account_id == Account.id),
    )


def eligible_accounts(session: Session, at: datetime | None = None) -> list[Account]:
    """Active official accounts, plus active personal accounts covered by a consent in force."""
    at = at or now()
    query = (
        select(Account)
        .where(
            Account.active,
            or_(
                Account.kind == "official",
                and_(Account.kind == "personal", active_consent_clause(at)),
            ),
        )
        .order_by(Account.host, Account.id)
    )
    return list(session.scalars(query))
