"""The consent ledger: who agreed to have which personal accounts scanned, until when.

A personal account is scanned only while its owner's consent is in force (granted, not expired,
not withdrawn); official accounts by designation. ``eligible_accounts`` is the only way the scan
chooses accounts. Every grant and withdrawal is audited in the same transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session

from pipeline.audit import trail
from pipeline.clock import now
from pipeline.db.models import Account, Consent
from pipeline.errors import InputError
from pipeline.i18n import _
from pipeline.registry.people import check_not_retired, person_by_email

DEFAULT_PURPOSE = (
    "Review of public posts against the guidance on public servants' personal use of social "
    "media, with human review of every flag."
)


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
    person = check_not_retired(person_by_email(session, email))
    granted_at = at or now()
    if not evidence.strip():
        raise InputError(_("consent needs evidence: say where the signed opt-in is kept"))
    if expires_at is not None and expires_at <= granted_at:
        raise InputError(
            _("the expiry %(expires_at)s is not after the grant")
            % {"expires_at": f"{expires_at:%Y-%m-%d}"}
        )
    if account_id is not None:
        account = session.get(Account, account_id)
        if account is None or account.owner_id != person.id:
            raise InputError(
                _("account %(account_id)s is not an account of %(email)s")
                % {"account_id": account_id, "email": person.email}
            )
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
    trail.record(
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
        raise InputError(_("%(email)s has no consent to withdraw") % {"email": person.email})
    for consent in active:
        consent.withdrawn_at = at
        trail.record(
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
