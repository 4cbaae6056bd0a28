"""The reviewer's item page: a post read once with its categories, one decision, the next item
with an undo, in either language."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from pipeline.db.models import AuditEvent, Flag, Review


def _signed_in(browser, user, lang: str | None = None):
    client = browser()
    assert client.login(user.email).status_code == 303
    if lang:
        client.client.get(f"/lang/{lang}", params={"next": "/queue"})
    return client


@pytest.fixture
def item(db, make):
    """A French post over two thresholds, and an English post after it in the queue."""
    post = make.post(make.account(make.person()), "Votez Mauve, bande d'imbéciles")
    post.lang_detected = "fr"
    partisan = make.flag(post, category="partisan", risk=0.9)
    vulgar = make.flag(post, category="vulgar", risk=0.7)
    other = make.flag(risk=0.5, text="Our office opens at nine")
    reviewer = make.user("reviewer")
    db.commit()
    return partisan, vulgar, other, reviewer


def test_the_item_shows_the_post_once_with_its_categories_and_their_questions(
    db, browser, item
) -> None:
    partisan, vulgar, _other, reviewer = item
    client = _signed_in(browser, reviewer)
    claimed = client.form("/queue/claim")
    assert claimed.headers["location"] == f"/flags/{partisan.id}"
    page = client.client.get(f"/flags/{vulgar.id}").text  # any flag of the post shows the item

    assert page.count("Votez Mauve") == 1
    assert re.search(r'<blockquote id="post-text" lang="fr">', page)
    assert "Partisan political activity, Vulgar or offensive language" in page
    # each category's question, in the post's language (French, marked as such)
    assert re.search(r'id="question-vulgar" lang="fr">\s*<p class="question">Les propos', page)
    assert "Propos vulgaires, insultants" in page  # the policy's own description
    assert "High risk" in page and "risk 0.90 out of 1" in page
    assert "how likely a reasonable person would doubt" in page
    assert page.count('name="decision"') == 3  # one decision for the item
    assert 'name="decision_vulgar"' in page and 'name="decision_partisan"' in page
    assert "The employee will read your rationale word for word." in page
    # times to the minute, machine-readable for the browser to localise
    assert (
        '<time datetime="2026-11-02T09:00:00+00:00" data-local>2026-11-02 04:00 EST</time>' in page
    )
    assert ".000" not in page and "+00:00</" not in page


def test_the_item_page_reads_in_french(db, browser, item) -> None:
    partisan, _vulgar, _other, reviewer = item
    client = _signed_in(browser, reviewer, "fr")
    client.form("/queue/claim")
    page = client.client.get(f"/flags/{partisan.id}").text
    assert '<html lang="fr">' in page
    assert "Votre décision" in page and "Risque élevé" in page
    assert "Activité politique partisane" in page or "partisane" in page
    assert 'id="question-vulgar">' in page  # French on a French page: no lang mark
    assert "Your decision" not in page and "Record the decision" not in page


def test_a_decision_moves_on_to_the_next_item_with_a_notice_and_an_undo(db, browser, item) -> None:
    partisan, vulgar, other, reviewer = item
    client = _signed_in(browser, reviewer)
    client.form("/queue/claim")
    decided = client.form(
        f"/flags/{partisan.id}/decide",
        decision="no_concern",
        decision_vulgar="advise",
        rationale="The insult, not the party",
    )
    assert decided.status_code == 303 and decided.headers["location"] == f"/flags/{other.id}"
    db.expire_all()
    assert sorted(db.execute(select(Review.flag_id, Review.decision)).all()) == [
        (partisan.id, "no_concern"),
        (vulgar.id, "advise"),
    ]
    page = client.client.get(f"/flags/{other.id}").text
    assert "Decision recorded — next item" in page
    assert f'action="/flags/{partisan.id}/undo"' in page
    assert "Decision recorded" not in client.client.get(f"/flags/{other.id}").text  # once

    undone = client.form(f"/flags/{partisan.id}/undo")
    assert undone.headers["location"] == f"/flags/{partisan.id}"
    db.expire_all()
    assert db.scalars(select(Review)).all() == []
    holder = dict(db.execute(select(Flag.id, Flag.claimed_by_id)).all())
    assert holder == {partisan.id: reviewer.id, vulgar.id: reviewer.id, other.id: None}
    page = client.client.get(f"/flags/{partisan.id}").text
    assert "Decision undone" in page and 'id="decision-form"' in page
    actions = db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-3:] == ["flag.release", "review.undo", "flag.view"]


def test_advise_without_a_rationale_comes_back_with_what_was_chosen(db, browser, item) -> None:
    partisan, _vulgar, _other, reviewer = item
    client = _signed_in(browser, reviewer)
    client.form("/queue/claim")
    refused = client.form(
        f"/flags/{partisan.id}/decide", decision="advise", decision_vulgar="escalate"
    )
    assert refused.status_code == 400
    assert 'role="alert" id="decision-error">to advise or escalate, write a rationale' in (
        refused.text
    )
    assert 'value="advise" data-key="2" required checked' in refused.text
    assert '<option value="escalate" selected>' in refused.text
    db.expire_all()
    assert db.scalars(select(Review)).all() == []
    # no concern needs no rationale: recorded, and on to the next item
    done = client.form(f"/flags/{partisan.id}/decide", decision="no_concern")
    assert done.status_code == 303
    assert db.scalars(select(Review.rationale)).all() == ["", ""]


def test_a_held_item_is_given_back_instead_of_a_second_one(db, browser, item) -> None:
    partisan, _vulgar, other, reviewer = item
    client = _signed_in(browser, reviewer)
    assert client.form("/queue/claim").headers["location"] == f"/flags/{partisan.id}"
    assert client.form("/queue/claim").headers["location"] == f"/flags/{partisan.id}"
    queue = client.client.get("/queue").text
    assert 'id="continue" data-key="n"' in queue and 'id="claim-next"' not in queue
    another = client.form("/queue/claim", another="1")
    assert another.headers["location"] == f"/flags/{other.id}"
    assert client.api("/api/queue/claim").json() == {"flag_id": partisan.id}


def test_the_api_decides_an_item_per_category_and_undoes_it(db, browser, item) -> None:
    partisan, vulgar, _other, reviewer = item
    client = _signed_in(browser, reviewer)
    assert client.api("/api/queue/claim").json() == {"flag_id": partisan.id}
    view = client.client.get(f"/api/flags/{partisan.id}").json()
    assert [c["category"] for c in view["categories"]] == ["partisan", "vulgar"]
    assert view["questions"][0]["lang"] == "fr"
    refused = client.api(f"/api/flags/{partisan.id}/decide", {"decision": "advise"})
    assert refused.status_code == 400 and "write a rationale" in refused.json()["detail"]
    done = client.api(
        f"/api/flags/{partisan.id}/decide",
        {"decision": "escalate", "categories": {"vulgar": "no_concern"}, "rationale": "Senior"},
    )
    assert done.status_code == 200
    assert done.json()["decisions"] == {str(partisan.id): "escalate", str(vulgar.id): "no_concern"}
    assert client.api(f"/api/flags/{vulgar.id}/undo").json() == {
        "flag_ids": [partisan.id, vulgar.id]
    }
    assert client.api(f"/api/flags/{vulgar.id}/undo").status_code == 409
