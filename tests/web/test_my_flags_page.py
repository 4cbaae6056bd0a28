"""The employee's "My flags" page: one card per post, in plain words, with the reasons, the
guidance's question in the post's language, what each decision means, the reviewer's words,
and a notice when a lead revealed who wrote the post."""

from __future__ import annotations

from sqlalchemy import select

from pipeline import review
from pipeline.db.models import Assessment, EmployeeResponse, Flag
from tests.factories import T0

EXEMPLAR = "an offensive policy exemplar nobody should be shown"
EXPLANATION = {
    "summary": "Over threshold: partisan 0.91; terms: vote, party.",
    "categories": {
        "partisan": {
            "score": 0.91,
            "threshold": 0.6,
            "flagged": True,
            "matched_terms": ["vote", "party"],
            "nearest_exemplars": [{"lang": "en", "text": EXEMPLAR, "similarity": 0.8}],
        },
        "vulgar": {
            "score": 0.7,
            "threshold": 0.6,
            "flagged": True,
            "matched_terms": [],
            "nearest_exemplars": [{"lang": "en", "text": EXEMPLAR, "similarity": 0.5}],
        },
    },
    "nearest_benign": {"text": EXEMPLAR, "similarity": 0.2},
    "factors": {
        "audience": {"value": 52000, "contribution": 0.6},
        "seniority": {"value": "executive", "contribution": 0.6},
        "tone": {"value": 0.1, "contribution": 0.0},
    },
    "disclaimer_stripped": True,
}


def _employee_with_flags(db, make, *, lang: str | None = None):
    me = make.person("Em Ployee")
    account = make.account(me)
    post = make.post(account, "Vote for the party, you idiots")
    post.lang_detected = lang
    partisan = make.flag(post, category="partisan", risk=0.9)
    db.get(Assessment, partisan.assessment_id).explanation = EXPLANATION
    vulgar = Flag(
        post_id=post.id,
        assessment_id=partisan.assessment_id,
        category="vulgar",
        content_hash=post.content_hash,
        score=0.7,
        risk=0.7,
        created_at=T0,
    )
    db.add(vulgar)
    db.flush()
    other = make.flag(make.post(account, "Another post"), category="self_serving")
    employee = make.user("employee", person=me)
    db.commit()
    return employee, partisan, vulgar, other


def _page(browser, user, lang: str = "en") -> str:
    client = browser()
    client.login(user.email)
    headers = {"Accept-Language": "fr-CA"} if lang == "fr" else {}
    return client.client.get("/me/flags", headers=headers).text


def test_one_card_per_post_names_its_categories_in_plain_words(db, make, browser) -> None:
    employee, partisan, vulgar, other = _employee_with_flags(db, make)

    page = _page(browser, employee)

    assert page.count('<article class="card" id="post-') == 2
    card = page[page.index(f'id="post-{partisan.post_id}"') :]
    card = card[: card.index("</article>")]
    assert f'id="flag-{partisan.id}"' in card and f'id="flag-{vulgar.id}"' in card
    assert "Partisan political activity" in card and "Vulgar or offensive language" in card
    assert "Self-serving promotion" in page and f'id="flag-{other.id}"' in page
    assert "Not decided yet" in card


def test_the_reasons_are_sentences_never_dicts_nor_exemplars(db, make, browser) -> None:
    employee, *_ = _employee_with_flags(db, make)

    page = _page(browser, employee)

    assert "{'" not in page and "{&#39;" not in page and "[&#39;" not in page
    assert EXEMPLAR not in page
    assert "It uses words often linked to Partisan political activity: “vote”, “party”." in page
    assert "Its wording is close to what the guidance describes as Vulgar or offensive" in page
    assert "Your account has a large audience (52000)" in page
    assert "Your position (Executive) holds you to a higher standard." in page
    assert "The tone reads" not in page  # a factor that raised nothing is no reason
    api = browser()
    api.login(employee.email)
    assert EXEMPLAR not in api.client.get("/api/me/flags").text


def test_the_question_is_asked_in_the_posts_language(db, make, browser) -> None:
    employee, *_ = _employee_with_flags(db, make, lang="fr")

    english_page = _page(browser, employee)
    french_page = _page(browser, employee, "fr")

    assert '<p class="question" lang="fr">' in english_page
    assert "Une personne raisonnable qui lit cette publication pourrait-elle douter" in english_page
    assert "Mes signalements" in french_page and "Pourquoi" in french_page
    assert "Elle emploie des mots souvent associés" in french_page


def test_the_decision_its_meaning_and_the_reviewers_words_are_shown(db, make, browser) -> None:
    employee, _partisan, _vulgar, _ = _employee_with_flags(db, make)
    reviewer = make.user("reviewer")
    db.commit()
    claimed = review.claim_next(db, reviewer)
    review.decide(
        db, claimed.id, reviewer, decision="advise", clause="partisan", rationale="Names a party."
    )
    db.commit()

    page = _page(browser, employee)

    assert "In the reviewer's words:" in page and "<blockquote>Names a party.</blockquote>" in page
    assert "Advice: the reviewer thinks posts like this one" in page
    assert "Advise the employee" in page  # the decision, in plain words
    # one decision covered both flags of the post: one line, naming both categories
    assert page.count("<blockquote>Names a party.</blockquote>") == 1
    assert "Partisan political activity, Vulgar or offensive language · <strong>" in page


def test_a_reveal_is_told_to_the_employee_with_when_and_why(db, make, browser) -> None:
    employee, _partisan, *_ = _employee_with_flags(db, make)
    reviewer, lead = make.user("reviewer"), make.user("lead")
    db.commit()
    claimed = review.claim_next(db, reviewer)
    review.decide(
        db, claimed.id, reviewer, decision="escalate", clause=claimed.category, rationale="Lead?"
    )
    review.reveal_identity(db, claimed.id, lead, reason="The manager must be told")
    db.commit()

    page = _page(browser, employee)

    card = page[page.index(f'id="post-{claimed.post_id}"') :]
    assert "A lead saw that this post is yours" in card[: card.index("</article>")]
    assert "Reason given: The manager must be told" in page
    assert page.count("A lead saw that this post is yours") == 1
    assert "Escalated: the reviewer asked a lead to decide." in page


def test_the_employee_can_still_respond_from_the_card(db, make, browser) -> None:
    employee, partisan, *_ = _employee_with_flags(db, make)
    client = browser()
    client.login(employee.email)
    page = client.client.get("/me/flags").text
    assert f'action="/me/flags/{partisan.id}/respond"' in page

    sent = client.form(f"/me/flags/{partisan.id}/respond", kind="comment", body="It was satire")

    assert sent.status_code == 303 and sent.headers["location"] == "/me/flags"
    said = db.scalar(select(EmployeeResponse))
    assert (said.flag_id, said.kind, said.body) == (partisan.id, "comment", "It was satire")
    assert "Your side: It was satire" in client.client.get("/me/flags").text
