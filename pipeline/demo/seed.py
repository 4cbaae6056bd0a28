"""Seed the demo registry: people, accounts at the fakes' current addresses, consents, a login.

Idempotent: what exists is kept (accounts are moved to the fakes' new ports), what is missing
is added, and every change is audited like any other registry change.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline import clock
from pipeline.audit import trail
from pipeline.db.models import Account, AppUser, Consent, Person
from pipeline.demo.dataset import Dataset, DemoAccount
from pipeline.demo.platforms import Address
from pipeline.registry import accounts, consent, handles, people

ACTOR = "demo"
EVIDENCE = "Demo: synthetic signed opt-in form"
REVIEWER_EMAIL = "reviewer@demo.example"


@dataclass
class SeedResult:
    people_added: int = 0
    accounts_added: int = 0
    accounts_moved: int = 0
    consents_recorded: int = 0


def seed(session: Session, dataset: Dataset, addresses: dict[str, Address]) -> SeedResult:
    result = SeedResult()
    now = clock.now()
    for person in dataset.people:
        if session.scalar(select(Person.id).where(Person.email == person.email)) is None:
            people.add_person(
                session,
                person.email,
                name=person.name,
                org_unit=person.org_unit,
                seniority=person.seniority,
                actor=ACTOR,
            )
            result.people_added += 1
    for account in dataset.accounts:
        _seed_account(session, account, addresses[account.key], result)
    for person in dataset.people:
        known = session.scalar(
            select(Consent.id).join(Person).where(Person.email == person.email).limit(1)
        )
        if person.consent == "none" or known is not None:
            continue
        consent.grant_consent(
            session,
            person.email,
            evidence=EVIDENCE,
            actor=ACTOR,
            at=now - timedelta(days=60),
            expires_at=now + timedelta(days=365),
        )
        if person.consent == "withdrawn":
            consent.withdraw_consent(session, person.email, actor=ACTOR, at=now - timedelta(days=7))
        result.consents_recorded += 1
    return result


def _seed_account(
    session: Session, account: DemoAccount, address: Address, result: SeedResult
) -> None:
    parsed = handles.parse(address.platform, address.handle, address.host)
    existing = session.scalar(
        select(Account).where(
            Account.platform == account.platform, Account.display_name == account.name
        )
    )
    if existing is None:
        spec = accounts.AccountSpec(
            account.platform,
            address.handle,
            account.kind,
            account.owner,
            account.org_unit,
            address.host,
            account.name,
        )
        accounts.add_account(session, spec, actor=ACTOR)
        result.accounts_added += 1
    elif (existing.host, existing.handle) != (parsed.host, parsed.handle):
        existing.host, existing.handle = parsed.host, parsed.handle
        trail.record(
            session,
            "account.move",
            actor=ACTOR,
            subject_type="account",
            subject_id=existing.id,
            person_id=existing.owner_id,
            reason="demo fakes restarted",
        )
        result.accounts_moved += 1


def reviewer_login(session: Session) -> tuple[str, str]:
    """The demo reviewer's email and a fresh password (set anew on every run, ending the
    sessions of the run before)."""
    from argon2 import PasswordHasher

    password = secrets.token_urlsafe(9)
    user = session.scalar(select(AppUser).where(AppUser.email == REVIEWER_EMAIL))
    if user is None:
        user = AppUser(email=REVIEWER_EMAIL, role="reviewer", password_hash="")
        session.add(user)
    user.password_hash = PasswordHasher().hash(password)
    user.active, user.failed_logins, user.locked_until = True, 0, None
    # none of the demo's people: marked external, as 'users add --external' would
    user.external = user.person_id is None
    user.session_version = (user.session_version or 0) + 1  # the last run's sessions end
    session.flush()
    trail.record(
        session,
        "user.demo_password",
        actor=ACTOR,
        subject_type="app_user",
        subject_id=user.id,
        external=user.external,
    )
    return REVIEWER_EMAIL, password
