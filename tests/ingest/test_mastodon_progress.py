"""Progress survives a bad page: what came before a page that keeps failing is stored, and the
next run resumes from it without gaps or duplicates."""

from __future__ import annotations

import sqlalchemy as sa

from pipeline.db.models import Post, SourceCursor
from tests.ingest.conftest import stored


def test_pages_before_a_persistently_failing_page_are_kept_and_the_next_run_resumes(
    fake, register, ingest, engine
):
    handle = fake.add_account("mastodon", "ana")
    ids = [fake.add_post("mastodon", handle, f"Synthetic status {i}") for i in range(200)]
    account = register("mastodon", handle)
    # the third page forward (the statuses after the 80th) fails on every request
    fake.mastodon.fail_when(lambda request: request.query.get("min_id") == ids[79])

    failed = ingest([account.id])

    assert set(stored(engine, account.id)) == set(ids[:80])
    assert failed.new_posts == 80 and sum(failed.errors.values()) == 1
    with engine.connect() as conn:
        assert conn.scalar(sa.select(SourceCursor.cursor)) == ids[79]

    fake.mastodon.heal()
    resumed = ingest([account.id])

    assert resumed.new_posts == 120 and resumed.edits == 0
    assert set(stored(engine, account.id)) == set(ids)
    with engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(Post)) == 200
        assert conn.scalar(sa.select(SourceCursor.cursor)) == ids[-1]


def test_a_failing_page_during_an_incremental_walk_keeps_the_earlier_pages(
    fake, register, ingest, engine
):
    handle = fake.add_account("mastodon", "ana")
    first = fake.add_post("mastodon", handle, "Already stored")
    account = register("mastodon", handle)
    ingest([account.id])
    new = [fake.add_post("mastodon", handle, f"New status {i}") for i in range(100)]
    fake.mastodon.fail_when(lambda request: request.query.get("min_id") == new[39])

    ingest([account.id])

    assert set(stored(engine, account.id)) == {first, *new[:40]}
    fake.mastodon.heal()
    assert ingest([account.id]).new_posts == 60
    assert set(stored(engine, account.id)) == {first, *new}
