"""Recorded answers of real Mastodon servers, served by fake hosts, through
``impartial scan --ingest-only``: every public original status stored once, with its whole
message; reblogs and statuses that are not public skipped; a second scan adds nothing.

The recordings (tests/fixtures/mastodon) come from three server databases, so three fake
hosts serve them, as three servers would.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.db.models import Post, ScanRun
from pipeline.fakes import FakeMastodon, fake_for
from pipeline.registry import accounts
from tests.ingest.conftest import ACTOR

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mastodon"
SERVER_A = [  # Mastodon.py's recordings of one server (Mastodon 4.5), in recording order
    "test_polls.yaml",
    "test_status_quote_revoke.yaml",
    "test_status_post_with_quote.yaml",
    "test_status_reply.yaml",
    "test_status_reblogged_by.yaml",
    "test_status_post_content_warning_public.yaml",
    "test_status_edit.yaml",
]
PUBLIC_ORIGINALS = {
    "116388624398039375": "nice\n\nPoll: four twenty / sixty-nine",
    "116388624908215231": "https://www.youtube.com/watch?v=FAEKjYroiME",
    "116388624919028177": (
        "check this mother fucker out\n\nQuoting @mastodonpy_test: "
        "https://www.youtube.com/watch?v=FAEKjYroiME"
    ),
    "116388625062558681": "Toot, finally!",
    "116388625079622259": "@mastodonpy_test_2 same!",
    "116388626494138900": "Toot, finally!",
    "116388627091196057": "Content warning: Content warning\n\nToot!",
    "116388627345481652": "the best editor? why, of course it is VS Code",
    "115045728065772880": "http://example.org/\n\nLink: Example Domain — http://example.org/",
    "115045577391846422": (
        "LOL check this out\n\nImage: John Lennon doing a funny walk\n\n"
        "Image: hololives #1 detective, watson ameliachan"
    ),
}


@pytest.fixture
def servers(fake) -> Iterator[tuple[FakeMastodon, FakeMastodon, FakeMastodon]]:
    """Server A (the usual fake), B (a link card) and C (media with descriptions)."""
    card, media = fake_for("mastodon"), fake_for("mastodon")
    try:
        yield fake.mastodon, card, media  # type: ignore[misc]
    finally:
        card.stop()
        media.stop()


def register_all(db: Session, server: FakeMastodon, handles: list[str]) -> None:
    for handle in handles:
        spec = accounts.AccountSpec(
            "mastodon", handle, "official", org_unit="Unit", host=server.base_url
        )
        accounts.add_account(db, spec, actor=ACTOR)
    db.commit()


def scan() -> str:
    result = CliRunner().invoke(app, ["scan", "--ingest-only"])
    assert result.exit_code == 0, result.output
    return result.output


def posts(engine: sa.Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.execute(sa.select(Post.external_id, Post.text)).all())


def runs(engine: sa.Engine) -> list[tuple[int, int, dict[str, int]]]:
    with engine.connect() as conn:
        query = sa.select(ScanRun.new_posts, ScanRun.edits, ScanRun.skipped).order_by(ScanRun.id)
        return [tuple(row) for row in conn.execute(query)]  # type: ignore[misc]


def test_every_public_original_status_is_stored_once_with_its_whole_message(servers, db, engine):
    a, card, media = servers
    handles: list[str] = []
    for name in SERVER_A:
        # the quote as first posted (accepted) and the status before its edit
        upto = {"test_status_quote_revoke.yaml": 2, "test_status_edit.yaml": 1}.get(name)
        handles += [h for h in a.add_recorded(FIXTURES / name, upto=upto) if h not in handles]
    register_all(db, a, handles)
    register_all(db, card, card.add_recorded(FIXTURES / "test_status_card.yaml"))
    register_all(db, media, media.add_recorded(FIXTURES / "test_media_post_multiple.yaml"))

    scan()
    scan()

    assert posts(engine) == PUBLIC_ORIGINALS
    first, second = runs(engine)
    assert first[:2] == (len(PUBLIC_ORIGINALS), 0)
    assert first[2]["reblog"] == 1 and first[2]["not_public"] == 2  # an unlisted quote too
    assert second[:2] == (0, 0)
    with engine.connect() as conn:
        parts = dict(conn.execute(sa.select(Post.external_id, Post.parts)).all())
    assert parts["116388624398039375"]["poll"] == ["four twenty", "sixty-nine"]
    assert parts["115045577391846422"]["media"][0] == {
        "kind": "image",
        "description": "John Lennon doing a funny walk",
    }
    assert parts["115045728065772880"]["link"] == {
        "url": "http://example.org/",
        "title": "Example Domain",
    }
    assert parts["116388624919028177"]["quote"]["author"] == "@mastodonpy_test"


def test_a_revoked_quote_and_an_edit_are_edits_on_the_next_scan(servers, db, engine):
    a = servers[0]
    handles = a.add_recorded(FIXTURES / "test_status_quote_revoke.yaml", upto=2)
    handles += a.add_recorded(FIXTURES / "test_status_edit.yaml", upto=1)
    register_all(db, a, sorted(set(handles)))
    scan()
    for name in ("test_status_quote_revoke.yaml", "test_status_edit.yaml"):
        a.add_recorded(FIXTURES / name)  # the rest of the recording: revoked, then edited

    scan()

    stored = posts(engine)
    assert runs(engine)[-1][:2] == (0, 2)
    assert stored["116388624919028177"].startswith(
        "RE: http://localhost:3000/@mastodonpy_test/116388624908215231"
    )
    assert "youtube" not in stored["116388624919028177"]
    assert stored["116388627345481652"].endswith("the KDE Advanced Text Editor, Kate")


def test_a_javascript_card_url_served_by_a_server_is_not_kept_as_a_link(servers, db, engine):
    card = servers[1]
    (handle,) = card.add_recorded(FIXTURES / "test_status_card.yaml")
    card.account(handle).statuses["115045728065772880"]["card"]["url"] = "javascript:alert(1)"
    register_all(db, card, [handle])

    scan()

    assert posts(engine) == {"115045728065772880": "http://example.org/"}
    with engine.connect() as conn:
        assert "link" not in conn.scalar(sa.select(Post.parts))
