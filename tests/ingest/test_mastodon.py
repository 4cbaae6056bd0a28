"""The Mastodon connector against the fake Mastodon server."""

from __future__ import annotations

import sqlalchemy as sa

from pipeline.db.models import Account, Post, SourceCursor
from tests.ingest.conftest import stored


def test_first_run_pages_forward_through_link_headers_and_stores_every_public_status(
    fake, register, ingest, engine
):
    handle = fake.add_account("mastodon", "ana", followers=321)
    ids = [fake.add_post("mastodon", handle, f"Synthetic status number {i}") for i in range(95)]
    account = register("mastodon", handle)

    summary = ingest([account.id])

    assert set(stored(engine, account.id)) == set(ids)
    assert summary.new_posts == 95
    # lookup + 3 pages of 40 (40, 40, 15): the short page ends the walk
    assert summary.requests == 4
    with engine.connect() as conn:
        cursor = conn.scalar(sa.select(SourceCursor.cursor))
        audience = conn.scalar(sa.select(Account.audience_size))
    assert cursor == max(ids, key=lambda i: (len(i), i))
    assert audience == 321


def test_unchanged_account_costs_one_request_and_stores_nothing(fake, register, ingest):
    handle = fake.add_account("mastodon", "ana")
    fake.add_post("mastodon", handle, "First")
    account = register("mastodon", handle)
    ingest([account.id])
    fake.mastodon.reset_counters()

    summary = ingest([account.id])

    assert summary.new_posts == summary.edits == 0
    assert fake.mastodon.requests == 1  # the newest page only; the profile is fresh


def test_new_statuses_after_the_cursor_are_fetched_incrementally(fake, register, ingest, engine):
    handle = fake.add_account("mastodon", "ana")
    fake.add_post("mastodon", handle, "Old one")
    account = register("mastodon", handle)
    ingest([account.id])
    new = [fake.add_post("mastodon", handle, f"New {i}") for i in range(50)]

    summary = ingest([account.id])

    assert summary.new_posts == 50
    assert set(new) <= set(stored(engine, account.id))
    assert len(stored(engine, account.id)) == 51


def test_edited_status_is_updated_and_counted_as_an_edit(fake, register, ingest, engine):
    handle = fake.add_account("mastodon", "ana")
    status_id = fake.add_post("mastodon", handle, "Before the edit")
    account = register("mastodon", handle)
    ingest([account.id])
    fake.mastodon.edit_post(handle, status_id, "After the edit")

    summary = ingest([account.id])

    assert (summary.new_posts, summary.edits) == (0, 1)
    assert stored(engine, account.id)[status_id] == "After the edit"
    with engine.connect() as conn:
        assert conn.scalar(sa.select(Post.edited_at)) is not None


def test_only_public_own_statuses_are_kept_with_spoiler_text_and_language(
    fake, register, ingest, engine
):
    handle = fake.add_account("mastodon", "ana")
    public = fake.add_post(
        "mastodon", handle, "Body <b>text</b> & more", spoiler="Content warning", lang="fr"
    )
    fake.add_post("mastodon", handle, "Unlisted", visibility="unlisted")
    fake.add_post("mastodon", handle, "Private", visibility="private")
    fake.add_post("mastodon", handle, "Boosted", reblog=True)
    account = register("mastodon", handle)

    summary = ingest([account.id])

    assert stored(engine, account.id) == {
        public: "Content warning: Content warning\n\nBody <b>text</b> & more"
    }
    assert summary.skipped == {"not_public": 1, "reblog": 1}
    with engine.connect() as conn:
        assert conn.scalar(sa.select(Post.lang)) == "fr"


def test_account_that_opted_out_of_indexing_is_not_stored(fake, register, ingest, engine):
    handle = fake.add_account("mastodon", "ana", noindex=True)
    fake.add_post("mastodon", handle, "Please do not index me")
    account = register("mastodon", handle)

    summary = ingest([account.id])

    assert stored(engine) == {}
    assert summary.skipped == {"opted_out": 1}


def test_malformed_status_is_skipped_and_counted(fake, register, ingest, engine):
    handle = fake.add_account("mastodon", "ana")
    good = fake.add_post("mastodon", handle, "Fine")
    fake.add_post("mastodon", handle, "", raw={"visibility": "public", "content": "<p>x</p>"})
    account = register("mastodon", handle)

    summary = ingest([account.id])

    assert set(stored(engine, account.id)) == {good}
    assert summary.skipped == {"malformed_item": 1}


def test_skips_are_counted_once_not_on_every_rerun(fake, register, ingest):
    handle = fake.add_account("mastodon", "ana")
    fake.add_post("mastodon", handle, "Boost", reblog=True)
    fake.add_post("mastodon", handle, "Public")
    account = register("mastodon", handle)

    first = ingest([account.id])
    second = ingest([account.id])

    assert first.skipped == {"reblog": 1}
    assert second.skipped == {}
