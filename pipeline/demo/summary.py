"""What the demo's scan did, read back from the database (counts and flags, for the console).

The people are listed with their names (the demo's operator registered them), the flags with
pseudonyms, as a reviewer sees them: no line shows a name beside a pseudonym, and a personal
account is shown by its platform, not by its name there (often the person's own).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline import clock
from pipeline.db.models import Account, Assessment, Flag, Person, Post, ScanRun
from pipeline.registry import accounts, consent
from pipeline.review.status import flag_status


@dataclass
class AccountLine:
    name: str
    platform: str
    kind: str
    scanned: bool
    posts: int
    assessed: int
    flags: int


@dataclass
class PersonLine:
    name: str
    email: str
    org_unit: str
    seniority: str
    consent: str  # active, withdrawn, expired, pending or none
    accounts: int


@dataclass
class FlagLine:
    who: str  # the pseudonym, or "official"
    org_unit: str
    seniority: str  # the band; empty for an official account
    account: str  # an official account's name; a personal account's platform
    category: str
    risk: float
    status: str
    excerpt: str


@dataclass
class ScanSummary:
    run: ScanRun | None
    people: list[PersonLine] = field(default_factory=list)
    accounts: list[AccountLine] = field(default_factory=list)
    flags: list[FlagLine] = field(default_factory=list)


def summarize(
    session: Session, run_key: str | None = None, emails: list[str] | None = None
) -> ScanSummary:
    """The last scan run (or ``run_key``'s), the people of ``emails`` (default: everyone), every
    account with its counts, and every flag (samples aside)."""
    query = select(ScanRun).order_by(ScanRun.id.desc()).limit(1)
    if run_key is not None:
        query = select(ScanRun).where(ScanRun.run_key == run_key)
    summary = ScanSummary(run=session.scalar(query))
    now = clock.now()
    summary.people = _people(session, emails)
    eligible = {a.id for a in consent.eligible_accounts(session)}
    posts = dict(
        session.execute(select(Post.account_id, func.count()).group_by(Post.account_id)).all()
    )
    assessed = dict(
        session.execute(
            select(Post.account_id, func.count(func.distinct(Assessment.post_id)))
            .join(Assessment, Assessment.post_id == Post.id)
            .group_by(Post.account_id)
        ).all()
    )
    flags = dict(
        session.execute(
            select(Post.account_id, func.count())
            .join(Flag, Flag.post_id == Post.id)
            .where(~Flag.is_sample)
            .group_by(Post.account_id)
        ).all()
    )
    for account in accounts.list_accounts(session):
        summary.accounts.append(
            AccountLine(
                account.display_name or account.handle,
                account.platform,
                account.kind,
                account.id in eligible,
                posts.get(account.id, 0),
                assessed.get(account.id, 0),
                flags.get(account.id, 0),
            )
        )
    rows = session.execute(
        select(Flag, Post, Account, Person)
        .join(Post, Flag.post_id == Post.id)
        .join(Account, Post.account_id == Account.id)
        .outerjoin(Person, Account.owner_id == Person.id)
        .where(~Flag.is_sample)
        .order_by(Flag.risk.desc(), Flag.id)
    ).all()
    for flag, post, account, person in rows:
        text = " ".join((post.text or "").split())
        summary.flags.append(
            FlagLine(
                person.pseudonym if person else "official",
                (person.org_unit if person else account.org_unit) or "",
                person.seniority_band if person else "",
                account.platform if person else account.display_name or account.handle,
                flag.category,
                flag.risk,
                flag_status(session, flag, now),
                text if len(text) <= 70 else text[:69] + "…",
            )
        )
    return summary


def _people(session: Session, emails: list[str] | None) -> list[PersonLine]:
    query = select(Person).order_by(Person.id)
    if emails is not None:
        query = query.where(Person.email.in_(emails))
    owned = dict(
        session.execute(select(Account.owner_id, func.count()).group_by(Account.owner_id)).all()
    )
    lines = []
    for person in session.scalars(query):
        latest = max(person.consents, key=lambda c: c.id, default=None)
        lines.append(
            PersonLine(
                person.display_name,
                person.email,
                person.org_unit or "",
                person.seniority_band or "",
                consent.consent_state(latest) if latest else "none",
                owned.get(person.id, 0),
            )
        )
    return lines
