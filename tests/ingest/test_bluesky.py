"""The Bluesky connector against the fake AppView."""

from __future__ import annotations

import sqlalchemy as sa

from pipeline.db.models import Account, Post
from tests.ingest.conftest import stored


def test_feed_pages_with_cursor_and_stores_own_posts_with_language(fake, register, ingest, engine):
    handle = fake.add_account("bluesky", "bea", followers=77)
    uris = [fake.add_post("bluesky", handle, f"Sky post {i}", lang="fr") for i in range(230)]
    fake.add_post("bluesky", handle, "Someone else's post", repost=True)
    account = register("bluesky", handle)

    summary = ingest([account.id])

    assert set(stored(engine, account.id)) == set(uris)
    assert summary.requests == 4  # profile + pages of 100, 100, 31
    assert summary.skipped == {"repost": 1}
    with engine.connect() as conn:
        assert conn.scalar(sa.select(Account.audience_size)) == 77
        assert set(conn.scalars(sa.select(Post.lang))) == {"fr"}


def test_paging_stops_at_the_first_stored_post(fake, register, ingest, engine):
    handle = fake.add_account("bluesky", "bea")
    for i in range(150):
        fake.add_post("bluesky", handle, f"Old {i}")
    account = register("bluesky", handle)
    ingest([account.id])
    new = [fake.add_post("bluesky", handle, f"New {i}") for i in range(5)]
    fake.bluesky.reset_counters()

    summary = ingest([account.id])

    assert summary.new_posts == 5
    assert set(new) <= set(stored(engine, account.id))
    assert fake.bluesky.requests == 1  # one page, no profile (still fresh)


def test_account_labeled_no_unauthenticated_is_not_stored(fake, register, ingest, engine):
    handle = fake.add_account("bluesky", "bea", no_unauthenticated=True)
    fake.add_post("bluesky", handle, "Logged-in readers only")
    account = register("bluesky", handle)

    summary = ingest([account.id])

    assert stored(engine) == {}
    assert summary.skipped == {"opted_out": 1}


def test_malformed_feed_item_is_skipped_and_counted(fake, register, ingest, engine):
    handle = fake.add_account("bluesky", "bea")
    good = fake.add_post("bluesky", handle, "Fine")
    fake.add_post("bluesky", handle, "", raw={"post": {"uri": "not-an-at-uri", "record": {}}})
    account = register("bluesky", handle)

    summary = ingest([account.id])

    assert set(stored(engine, account.id)) == {good}
    assert summary.skipped == {"malformed_item": 1}


def test_reposts_are_counted_once_not_on_every_rerun(fake, register, ingest):
    handle = fake.add_account("bluesky", "bea")
    fake.add_post("bluesky", handle, "Own post")
    fake.add_post("bluesky", handle, "Someone else's", repost=True)
    account = register("bluesky", handle)

    first = ingest([account.id])
    second = ingest([account.id])

    assert first.skipped == {"repost": 1}
    assert second.skipped == {}
