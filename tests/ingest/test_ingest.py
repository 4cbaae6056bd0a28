"""The ingest loop: eligibility, consent withdrawal, idempotence, cleaning, planning."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pipeline.db.models import Account, Post
from pipeline.ingest.fetch import plan_shards
from pipeline.ingest.sources.text import TRUNCATION_MARKER
from pipeline.registry import consent
from tests.ingest.conftest import ACTOR, stored


def test_rerunning_never_duplicates_posts(fake, register, ingest, engine):
    ids = []
    for platform in ("mastodon", "bluesky", "rss"):
        handle = fake.add_account(platform, "ana")
        for i in range(5):
            fake.add_post(platform, handle, f"Post {i}")
        ids.append(register(platform, handle).id)

    first = ingest(ids)
    again = ingest(ids)
    with engine.connect() as conn:
        rows = conn.scalar(sa.select(sa.func.count()).select_from(Post))

    assert (first.new_posts, again.new_posts, again.edits) == (15, 0, 0)
    assert rows == 15


def test_only_eligible_accounts_are_fetched(fake, register, ingest, engine, db):
    handle = fake.add_account("mastodon", "ana")
    fake.add_post("mastodon", handle, "Consented")
    other = fake.add_account("mastodon", "bob")
    fake.add_post("mastodon", other, "Never consented")
    eligible = register("mastodon", handle, personal=True)
    not_eligible = register("mastodon", other, personal=True)
    consent.withdraw_consent(db, not_eligible.owner.email, actor=ACTOR)
    db.commit()

    summary = ingest([eligible.id, not_eligible.id])

    assert stored(engine, not_eligible.id) == {}
    assert len(stored(engine, eligible.id)) == 1
    assert summary.skipped == {"not_eligible": 1}
    assert fake.mastodon.by_account["bob"] == 0


def test_consent_withdrawn_during_the_run_stops_storage_at_once(fake, register, ingest, engine):
    handle = fake.add_account("mastodon", "ana")
    for i in range(100):
        fake.add_post("mastodon", handle, f"Post {i}")
    account = register("mastodon", handle, personal=True)
    email = account.owner.email
    withdrawn_at: list[datetime] = []

    def withdraw_on_second_page(request) -> None:
        second_page = request.query.get("min_id", "0") != "0"
        if request.path.endswith("/statuses") and second_page and not withdrawn_at:
            with Session(engine) as session:
                consent.withdraw_consent(session, email, actor=ACTOR)
                session.commit()
            withdrawn_at.append(datetime.now(UTC))

    fake.mastodon.hooks.append(withdraw_on_second_page)

    summary = ingest([account.id])

    with engine.connect() as conn:
        fetched = list(conn.scalars(sa.select(Post.fetched_at)))
    assert len(fetched) == 40  # the first page only
    assert max(fetched) < withdrawn_at[0]
    assert summary.skipped["consent_withdrawn"] == 1


def test_text_is_cleaned_hashed_and_truncated_with_a_marker(fake, register, ingest, engine):
    handle = fake.add_account("bluesky", "ana")
    fake.add_post("bluesky", handle, "Null\x00byte and lone \ud800 surrogate")
    fake.add_post("bluesky", handle, "long " * 100)
    account = register("bluesky", handle)

    ingest([account.id], max_post_chars=120)

    with engine.connect() as conn:
        rows = conn.execute(sa.select(Post.text, Post.content_hash, Post.meta)).all()
    short, long = sorted((text for text, _, _ in rows), key=len)
    assert short == "Nullbyte and lone ? surrogate"
    assert long.endswith(TRUNCATION_MARKER) and len(long) == 120
    for text, digest, meta in rows:
        assert digest == hashlib.sha256(text.encode()).hexdigest()
        assert meta.get("truncated", False) == text.endswith(TRUNCATION_MARKER)


def test_plan_shards_groups_eligible_accounts_by_host(fake, register, db):
    masto = [register("mastodon", fake.add_account("mastodon", f"m{i}")).id for i in range(2)]
    sky = register("bluesky", fake.add_account("bluesky", "s")).id
    db.execute(sa.update(Account).where(Account.id == masto[1]).values(active=False))
    db.commit()

    shards = plan_shards(db)

    assert shards == sorted(
        [
            {"platform": "bluesky", "host": fake.host("bluesky"), "account_ids": [sky]},
            {"platform": "mastodon", "host": fake.host("mastodon"), "account_ids": [masto[0]]},
        ],
        key=lambda s: (s["platform"], s["host"]),
    )
