"""What the demo's scan did, read back from the database (counts and flags, for the console)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.db.models import Account, Assessment, Flag, Person, Post, ScanRun
from pipeline.registry import accounts, consent


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
class FlagLine:
    who: str  # pseudonym and unit, or the official account's unit
    account: str
    category: str
    risk: float
    excerpt: str


@dataclass
class ScanSummary:
    run: ScanRun | None
    accounts: list[AccountLine] = field(default_factory=list)
    flags: list[FlagLine] = field(default_factory=list)


def summarize(session: Session, run_key: str | None = None) -> ScanSummary:
    query = select(ScanRun).order_by(ScanRun.id.desc()).limit(1)
    if run_key is not None:
        query = select(ScanRun).where(ScanRun.run_key == run_key)
    summary = ScanSummary(run=session.scalar(query))
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
        who = (
            f"{person.pseudonym} ({person.org_unit}, {person.seniority_band})"
            if person
            else f"official ({account.org_unit})"
        )
        text = " ".join((post.text or "[text purged]").split())
        summary.flags.append(
            FlagLine(
                who,
                account.display_name or account.handle,
                flag.category,
                flag.risk,
                text if len(text) <= 70 else text[:69] + "…",
            )
        )
    return summary
