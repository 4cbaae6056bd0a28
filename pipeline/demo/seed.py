"""Seed the demo registry: people, accounts at the fakes' current addresses, consents.

Idempotent: what exists is kept (accounts are moved to the fakes' new ports), what is missing
is added, and every change is audited like any other registry change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline import clock
from pipeline.audit import trail
from pipeline.db.models import Account, Consent, Person
from pipeline.demo.dataset import Dataset, DemoAccount
from pipeline.demo.platforms import Address
from pipeline.registry import accounts, consent, handles, people

ACTOR = "demo"
EVIDENCE = "Demo: synthetic signed opt-in form"


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


def posts_start(session: Session, dataset: Dataset) -> datetime:
    """When the demo's posts begin: a day before its registry was first seeded (now, on the
    first run), to the hour. The same on every run, so the posts keep their ids; recent, so
    the reports' window and the official-languages check see them."""
    first = session.scalar(
        select(func.min(Person.created_at)).where(
            Person.email.in_([p.email for p in dataset.people])
        )
    )
    start = (first or clock.now()) - timedelta(days=1)
    return start.replace(minute=0, second=0, microsecond=0)
