"""Fixtures for ingestion: fake platforms on 127.0.0.1, fast settings, registered accounts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from pipeline.config import Settings
from pipeline.db.models import Account, Post
from pipeline.fakes import FakePlatforms
from pipeline.ingest.fetch import IngestSummary, ingest_accounts
from pipeline.registry import accounts, consent, people

ACTOR = "test:ingest"


@pytest.fixture
def fake() -> Iterator[FakePlatforms]:
    with FakePlatforms(hang_s=0.5, slow_s=0.02, storm_wait_s=0.02) as platforms:
        yield platforms


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        http_timeout_connect_s=1.0,
        http_timeout_read_s=0.25,
        http_backoff_s=0.01,
        http_retries=4,
        rate_limits={"mastodon": "1000/1", "bluesky": "1000/1", "rss": "1000/1"},
        ingest_workers=4,
    )


@pytest.fixture
def register(db: Session, fake: FakePlatforms) -> Callable[..., Account]:
    """Register a fake account: official by default, or personal with an active consent."""
    counter = iter(range(1, 10_000))

    def _register(platform: str, handle: str, *, personal: bool = False) -> Account:
        n = next(counter)
        owner = None
        if personal:
            person = people.add_person(
                db, f"person{n}@example.org", name=f"Person {n}", org_unit="Unit", actor=ACTOR
            )
            consent.grant_consent(
                db,
                person.email,
                evidence="signed form",
                actor=ACTOR,
                at=datetime.now(UTC) - timedelta(days=1),
            )
            owner = person.email
        spec = accounts.AccountSpec(
            platform,
            handle,
            "personal" if personal else "official",
            owner=owner,
            org_unit="Unit",
            host=fake.host(platform) if platform != "rss" else None,
        )
        account = accounts.add_account(db, spec, actor=ACTOR)
        db.commit()
        return account

    return _register


@pytest.fixture
def ingest(engine: sa.Engine, settings: Settings) -> Callable[..., IngestSummary]:
    def _ingest(ids: list[int], **overrides: object) -> IngestSummary:
        run_settings = settings.model_copy(update=overrides) if overrides else settings
        return ingest_accounts(ids, settings=run_settings, engine=engine)

    return _ingest


def stored(engine: sa.Engine, account_id: int | None = None) -> dict[str, str]:
    """{external_id: text} of the stored posts (of one account)."""
    query = sa.select(Post.external_id, Post.text)
    if account_id is not None:
        query = query.where(Post.account_id == account_id)
    with engine.connect() as conn:
        return dict(conn.execute(query).all())
