"""Hostile variants of real feeds, derived here from the recorded ones: a stray entity, a bare
ampersand, a bad byte, a truncated body, an entity bomb, a ``javascript:`` link."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.db.models import Post, SourceCursor
from pipeline.ingest.sources.http import TransientError
from tests.ingest.feed_fixtures import fixture, read, serve


def _nth(raw: bytes, needle: bytes, n: int, start: int = 0) -> int:
    """Where the ``n``-th (from 1) ``needle`` is in ``raw`` after ``start``."""
    at = start - 1
    for _ in range(n):
        at = raw.index(needle, at + 1)
    return at


def _insert_in_item(raw: bytes, item: int, before: bytes, text: bytes) -> bytes:
    """``text`` inserted before the first ``before`` of the ``item``-th item."""
    at = raw.index(before, _nth(raw, b"<item", item))
    return raw[:at] + text + raw[at:]


def _texts(batch) -> dict[str, str]:
    return {post.external_id: post.text for post in batch.posts}


def test_a_stray_nbsp_or_bare_ampersand_keeps_every_entry_and_records_a_warning(
    fake, register, engine
):
    raw = fixture("EMarley.rss")
    variants = {
        "nbsp": _insert_in_item(raw, 3, b"</title>", b"&nbsp;"),
        "ampersand": _insert_in_item(raw, 3, b"</title>", b" R & D"),
    }
    accounts = {
        kind: register("rss", fake.rss.serve_document(kind, body)).id
        for kind, body in variants.items()
    }

    result = CliRunner().invoke(app, ["scan", "--ingest-only"])

    assert result.exit_code == 0, result.output
    with engine.connect() as conn:
        counts = dict(
            conn.execute(
                sa.select(Post.account_id, sa.func.count()).group_by(Post.account_id)
            ).all()
        )
        warnings = dict(
            conn.execute(sa.select(SourceCursor.account_id, SourceCursor.last_warning)).all()
        )
    assert counts == {account: 10 for account in accounts.values()}
    assert "undefined entity" in warnings[accounts["nbsp"]]
    assert "not well-formed" in warnings[accounts["ampersand"]]
    assert fake.rss.by_account["nbsp"] == fake.rss.by_account["ampersand"] == 1  # not retried


def test_a_bad_byte_in_one_item_changes_no_other_item(fake):
    raw = fixture("urdu_UTF8.xml")
    clean = _texts(read(fake, serve(fake, "urdu_UTF8.xml")))

    spoiled = _insert_in_item(raw, 2, b"]]></title>", b"\xff")
    batch = read(fake, fake.rss.serve_document("urdu-spoiled", spoiled))

    texts = _texts(batch)
    assert texts.keys() == clean.keys()
    changed = {key for key in clean if texts[key] != clean[key]}
    assert len(changed) == 1
    (key,) = changed
    assert texts[key].replace("\ufffd", "", 1) == clean[key]
    assert "1 byte(s) not valid in utf-8" in batch.warning


def test_a_truncated_body_is_asked_again_rather_than_stored_in_part(fake):
    raw = fixture("EMarley.rss")
    cut = raw[: raw.index(b"<description>", _nth(raw, b"<item", 5))]  # inside the fifth item
    url = fake.rss.serve_document("cut", cut)

    with pytest.raises(TransientError, match="ends before its end"):
        read(fake, url)
    assert fake.rss.requests == 3  # the first answer and http_retries=2 more

    fake.rss.serve_document("cut", raw)  # the next answer is whole
    assert len(read(fake, url).posts) == 10


def test_an_entity_bomb_is_not_expanded(fake):
    raw = fixture("mediacontent-dupes.xml")
    entities = b'<!ENTITY lol "lol">' + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    declaration_end = raw.index(b"?>") + 2
    bomb = raw[:declaration_end] + b"<!DOCTYPE rss [" + entities + b"]>" + raw[declaration_end:]
    bomb = _insert_in_item(bomb, 1, b"</title>", b" &lol9;")

    batch = read(fake, fake.rss.serve_document("bomb", bomb))

    (post,) = batch.posts
    assert "lollol" not in post.text
    assert len(post.text) < len(raw)
    assert post.parts.media  # the media description is still read, unexpanded


def test_a_javascript_link_is_not_kept_as_the_posts_url(fake):
    raw = fixture("EMarley.rss")
    start = raw.index(b"<link>", _nth(raw, b"<item", 1))
    end = raw.index(b"</link>", start)
    hostile = raw[:start] + b"<link>javascript:alert(document.cookie)" + raw[end:]

    batch = read(fake, fake.rss.serve_document("js", hostile))

    assert len(batch.posts) == 10
    assert batch.posts[0].url is None
    assert all(post.url.startswith("https://medium.com/") for post in batch.posts[1:])
