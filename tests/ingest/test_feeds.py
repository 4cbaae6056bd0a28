"""The RSS/Atom connector against the fake feed server."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from pipeline.db.models import Post, SourceCursor
from tests.ingest.conftest import stored


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_feed_entries_are_stored_and_a_304_means_nothing_to_do(
    kind, fake, register, ingest, engine
):
    url = fake.add_account("rss", "news", kind=kind, language="fr")
    ids = [fake.add_post("rss", url, f"Entry text {i}", title=f"Title {i}") for i in range(3)]
    account = register("rss", url)

    first = ingest([account.id])
    second = ingest([account.id])

    assert set(stored(engine, account.id)) == set(ids)
    assert stored(engine, account.id)[ids[0]] == "Title 0\n\nEntry text 0"
    assert first.new_posts == 3
    assert (second.requests, second.new_posts) == (1, 0)
    with engine.connect() as conn:
        assert conn.scalar(sa.select(SourceCursor.last_status)) == "not_modified"
        assert set(conn.scalars(sa.select(Post.lang))) == {"fr"}


def test_entries_without_id_are_keyed_by_link_and_distinct_ones_sharing_it_are_both_kept(
    fake, register, ingest, engine
):
    url = fake.add_account("rss", "news")
    link = fake.add_post("rss", url, "No guid here", guid=False)
    fake.add_post("rss", url, "Same link again", guid=False, link=link)
    account = register("rss", url)

    summary = ingest([account.id])
    again = ingest([account.id])

    keys = sorted(stored(engine, account.id))
    assert keys[0] == link and keys[1].startswith(link + "#")  # the later one: link + hash
    assert (summary.new_posts, summary.skipped) == (2, {})
    assert (again.new_posts, again.edits) == (0, 0)


def test_changed_entry_is_an_edit_and_new_entries_are_new(fake, register, ingest, engine):
    url = fake.add_account("rss", "news", kind="atom")
    entry = fake.add_post("rss", url, "Original")
    account = register("rss", url)
    ingest([account.id])
    fake.rss.edit_post(url, entry, "Corrected")
    fake.add_post("rss", url, "Another")

    summary = ingest([account.id])

    assert (summary.new_posts, summary.edits) == (1, 1)
    assert stored(engine, account.id)[entry].endswith("Corrected")
