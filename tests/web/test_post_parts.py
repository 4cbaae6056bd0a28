"""The flag page and the employee's page show a post's parts one by one, escaped, with links
only to web addresses; a post stored before parts shows its text."""

from __future__ import annotations

import re

from markupsafe import escape

from pipeline import review
from pipeline.db.models import Post
from pipeline.ingest.sources.parts import LinkCard, Media, Parts, Quote, flatten
from tests.ingest.test_parts import WHOLE


def _flagged_post(db, make, parts: Parts | None, *, official: bool = True):
    owner = None if official else make.person("Ana Roy")
    account = make.account(owner, kind="official" if official else "personal")
    flag = make.flag(make.post(account, flatten(parts) if parts else "Plain old text"))
    if parts is not None:
        db.get(Post, flag.post_id).parts = parts.as_json()
    return flag, owner


def _reviewer_page(db, make, browser, flag) -> str:
    reviewer = make.user("reviewer")
    db.commit()
    review.claim_next(db, reviewer)
    db.commit()
    client = browser()
    client.login(reviewer.email)
    response = client.client.get(f"/flags/{flag.id}")
    assert response.status_code == 200
    return response.text


def test_the_flag_page_shows_each_part_of_the_post(db, make, browser):
    flag, _ = _flagged_post(db, make, WHOLE)

    page = _reviewer_page(db, make, browser, flag)

    assert "<strong>Content warning:</strong> politics" in page
    assert '<blockquote class="part-body">H8 this for everyone</blockquote>' in page
    assert "Quoting @someone@social.example" in page
    assert "<blockquote>BURN THE SITE DOWN!</blockquote>" in page
    assert 'href="https://social.example/@s/1"' in page
    assert "<li>Vote Party A</li><li>Vote Party B</li>" in page
    assert "<li>image: A party logo on a placard</li>" in page
    assert "<li>video: <em>no description</em></li>" in page
    assert 'href="https://news.example/story"' in page and ">Election called</a>" in page
    assert "<p>The vote is on Monday</p>" in page
    assert 'href="https://social.example/@s/0"' in page  # in reply to
    assert "Quoting @someone@social.example: BURN" not in page  # parts, not the flat text


def test_hostile_parts_are_escaped_and_only_web_addresses_are_links(db, make, browser):
    hostile = Parts(
        body='<script>alert("body")</script>',
        quote=Quote("<img src=x onerror=alert(1)>", "<b>@x</b>", "javascript:alert(1)"),
        poll=["<svg onload=alert(2)>"],
        media=[Media("image", "<iframe src=//evil.example>")],
        link=LinkCard("javascript:alert(3)", "<i>Click</i>", "data:text/html,hi"),
    )
    flag, _ = _flagged_post(db, make, hostile)

    page = _reviewer_page(db, make, browser, flag)

    links = re.findall(r'(?:href|src)="([^"]*)"', page)
    assert links and not [link for link in links if "alert" in link or "data:" in link]
    for raw in ("<script>alert", "<img src=x", "<svg onload", "<iframe", "<b>@x", "<i>Click"):
        assert raw not in page
    assert str(escape('<script>alert("body")</script>')) in page
    assert "javascript:alert(3): not a web address, not a link" in page


def test_a_post_stored_before_parts_shows_its_text(db, make, browser):
    flag, _ = _flagged_post(db, make, None)

    page = _reviewer_page(db, make, browser, flag)

    assert '<blockquote id="post-text">Plain old text</blockquote>' in page


def test_a_personal_post_hides_the_addresses_of_the_posts_it_quotes_or_answers(db, make, browser):
    flag, _ = _flagged_post(db, make, WHOLE, official=False)

    page = _reviewer_page(db, make, browser, flag)

    assert "BURN THE SITE DOWN!" in page and "Vote Party A" in page
    assert "social.example/@s/1" not in page and "social.example/@s/0" not in page


def test_the_employee_sees_the_parts_of_their_own_flagged_post(db, make, browser):
    flag, owner = _flagged_post(db, make, WHOLE, official=False)
    employee = make.user("employee", person=owner)
    db.commit()
    client = browser()
    client.login(employee.email)

    page = client.client.get("/me/flags").text

    assert f'id="flag-{flag.id}"' in page
    assert "<li>Vote Party A</li><li>Vote Party B</li>" in page
    assert "<blockquote>BURN THE SITE DOWN!</blockquote>" in page
    assert "<li>image: A party logo on a placard</li>" in page
