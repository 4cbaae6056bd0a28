"""Real-world RSS and Atom feeds, served by the fake feed host, through the connector and
through ``impartial scan --ingest-only``."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.db.models import Post, ScanRun, SourceCursor
from pipeline.ingest.sources.http import PermanentError
from pipeline.ingest.sources.parts import Media
from tests.ingest.feed_fixtures import REAL_FEEDS, fixture, read, serve

MARKDOWN_ESCAPE = re.compile(r"\\[-.*_#>\[\]`!+]")
ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")


@pytest.mark.parametrize("name", sorted(REAL_FEEDS))
def test_every_entry_of_a_real_feed_is_read_once_as_plain_text(name, fake):
    raw = fixture(name)

    batch = read(fake, serve(fake, name))

    ids = [post.external_id for post in batch.posts]
    assert len(ids) == len(set(ids)) == REAL_FEEDS[name][1]
    for post in batch.posts:
        assert "\ufffd" not in post.text, post.text
        for escape in MARKDOWN_ESCAPE.findall(post.text):
            assert escape.encode() in raw, (escape, post.text)  # only the feed's own
        assert not re.search(r"[ \t]$", post.text, re.MULTILINE), post.text
        title = post.parts.body.split("\n\n", 1)[0]
        assert not ENTITY.search(title), title
        assert post.url is None or post.url.startswith(("http://", "https://"))


def test_titles_in_html_are_decoded(fake):
    batch = read(fake, serve(fake, "OneFootTsunami.atom"))

    titles = {post.parts.body.split("\n\n", 1)[0] for post in batch.posts}
    assert "Link: That\u2019s Not What Dolphins Do" in titles


def test_two_distinct_entries_sharing_a_guid_are_both_kept(fake):
    guid = "http://scripting.com/2017/06/25.html#a080631"

    batch = read(fake, serve(fake, "scriptingNews.rss"))

    shared = [p for p in batch.posts if p.external_id.startswith(guid)]
    assert len(shared) == 2
    assert shared[0].external_id == guid
    assert shared[1].external_id.startswith(guid + "#")
    assert "Good morning Internet guzzlers" in shared[0].text
    assert "dropboxCouldBeKingOfTheOnepageApp" not in shared[1].text  # text, not links
    assert "In 2015 I wrote" in shared[1].text


def test_entries_without_guid_or_link_are_keyed_by_their_content(fake):
    batch = read(fake, serve(fake, "rss092.xml"))

    assert all(post.external_id.startswith("sha256:") for post in batch.posts)
    assert all(post.url is None for post in batch.posts)
    assert batch.skipped == {"duplicate_entry": 1}  # the feed repeats one entry word for word


def test_relative_links_are_made_absolute_against_the_feed_url(fake):
    url = serve(fake, "intertwingly.atom")

    batch = read(fake, url)

    assert batch.posts[0].url == fake.host("rss") + "/blog/2012/07/16/Inhibiting-Suspend"
    assert all(post.url.startswith(fake.host("rss") + "/blog/") for post in batch.posts)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("encoding_WINDOWS-1251.xml", "Цитата #17703\n\nxxx: есть у кого жаба программер"),
        ("iconv.xml", "В Бузулуке главные стройплощадки – детсад и Ледовый дворец"),
        ("kc0011.rss", "建国35周年纪念，华表，和平鸽"),
        ("encoding_ISO-8859-1.xml", "Viele Spieler wünschen sich eine PC-Version"),
        (
            "no_encoding_ISO-8859-1.xml",
            "Si leur impact semble discret au premier abord, nombre d'étu",
        ),
    ],
)
def test_legacy_charsets_are_read_in_the_charset_declared(name, expected, fake):
    batch = read(fake, serve(fake, name))

    assert expected in batch.posts[0].text


def test_a_feed_that_declares_no_charset_and_is_not_utf8_is_read_with_a_warning(fake):
    batch = read(fake, serve(fake, "no_encoding_ISO-8859-1.xml"))

    assert "not UTF-8: read as windows-1252" in batch.warning
    assert batch.etag is not None


def test_media_descriptions_are_parts_of_the_post(fake):
    batch = read(fake, serve(fake, "mediacontent-dupes.xml"))

    (post,) = batch.posts
    description = (
        "Black Dahlia: A head shot of Elizabeth Short who had been an aspiring actress until"
        " her untimely murder"
    )
    assert post.parts.media == [Media("image", description)]
    assert "The shocking murder of Elizabeth Short" in post.parts.body
    assert post.text.endswith("Image: " + description)


def test_an_updated_time_close_to_the_published_time_is_not_an_edit(fake):
    batch = read(fake, serve(fake, "OneFootTsunami.atom"))

    edited = [post for post in batch.posts if post.edited_at is not None]
    assert len(edited) == 5  # of the 14 entries updated after publishing, 9 within a minute
    assert all(post.edited_at - post.published_at > timedelta(seconds=60) for post in edited)


def test_a_page_that_is_not_a_feed_is_a_permanent_error_asked_once(fake):
    url = fake.rss.serve_document("notafeed", fixture("notafeed.html"), content_type="text/html")

    with pytest.raises(PermanentError, match="did not answer with an RSS or Atom feed"):
        read(fake, url)
    assert fake.rss.requests == 1


def test_scan_ingest_only_stores_every_real_feed_and_a_second_scan_adds_nothing(
    fake, register, engine
):
    accounts = {name: register("rss", serve(fake, name)).id for name in REAL_FEEDS}

    first = CliRunner().invoke(app, ["scan", "--ingest-only"])
    second = CliRunner().invoke(app, ["scan", "--ingest-only"])

    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    with engine.connect() as conn:
        counts = dict(
            conn.execute(
                sa.select(Post.account_id, sa.func.count()).group_by(Post.account_id)
            ).all()
        )
        runs = conn.execute(sa.select(ScanRun.new_posts).order_by(ScanRun.id)).scalars().all()
        statuses = set(conn.scalars(sa.select(SourceCursor.last_status)))
        texts = conn.scalars(sa.select(Post.text)).all()
    assert {name: counts.get(i, 0) for name, i in accounts.items()} == {
        name: expected for name, (_, expected) in REAL_FEEDS.items()
    }
    assert runs == [sum(expected for _, expected in REAL_FEEDS.values()), 0]
    assert statuses == {"not_modified"}
    assert not any("\ufffd" in text or re.search(r"[ \t]$", text, re.MULTILINE) for text in texts)
