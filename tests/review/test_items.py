"""One review item per post: claimed together, read once, decided once, undone for a while."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from pipeline import i18n, review
from pipeline.classify.guidance.questions import reviewer_questions
from pipeline.db.models import AuditEvent, Flag, Review
from pipeline.errors import InputError
from pipeline.review.items import risk_level
from pipeline.review.undo import UNDO_WINDOW


def _actions(db) -> list[str]:
    return db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()


def _reviews(db) -> list[tuple[int, str, str, str]]:
    return db.execute(
        select(Review.flag_id, Review.decision, Review.clause, Review.rationale).order_by(
            Review.flag_id
        )
    ).all()


@pytest.fixture
def two_categories(make):
    """A post over two thresholds (two flags), and another post."""
    post = make.post(make.account(make.person()), "Vote Purple, you useless idiots")
    partisan = make.flag(post, category="partisan", risk=0.9)
    vulgar = make.flag(post, category="vulgar", risk=0.7)
    other = make.flag(risk=0.8)
    return partisan, vulgar, other


def test_a_post_over_two_thresholds_is_one_item_decided_once(db, make, clock, two_categories):
    partisan, vulgar, other = two_categories
    review.enqueue(db, at=clock())
    reviewer, second = make.user("reviewer"), make.user("reviewer")

    claimed = review.claim_next(db, reviewer, at=clock())
    assert claimed.id == partisan.id
    db.refresh(vulgar)
    assert (vulgar.claimed_by_id, vulgar.lease_expires_at) == (
        reviewer.id,
        claimed.lease_expires_at,
    )
    # the next reviewer gets the next post, never the item's other category
    assert review.claim_next(db, second, at=clock()).id == other.id

    view = review.view_flag(db, vulgar.id, reviewer, at=clock())  # any flag shows the item
    assert [c["category"] for c in view.categories] == ["partisan", "vulgar"]
    assert view.text == "Vote Purple, you useless idiots" and view.risk == 0.9

    reviews = review.decide(
        db, vulgar.id, reviewer, decision="advise", rationale="Insults and a party", at=clock()
    )
    assert len(reviews) == 2
    assert _reviews(db) == [
        (partisan.id, "advise", "partisan", "Insults and a party"),
        (vulgar.id, "advise", "vulgar", "Insults and a party"),
    ]
    assert {review.flag_status(db, f, clock()) for f in (partisan, vulgar)} == {"closed"}
    decided = db.scalars(select(AuditEvent).where(AuditEvent.action == "flag.decide")).all()
    assert [sorted(e.details["flag_ids"]) for e in decided] == [[partisan.id, vulgar.id]]


def test_one_category_can_be_decided_differently(db, make, clock, two_categories):
    partisan, vulgar, _other = two_categories
    reviewer = make.user("reviewer")
    review.claim_next(db, reviewer, at=clock())
    with pytest.raises(InputError, match="no category self_serving"):
        review.decide(
            db,
            partisan.id,
            reviewer,
            decision="no_concern",
            categories={"self_serving": "advise"},
            at=clock(),
        )
    review.decide(
        db,
        partisan.id,
        reviewer,
        decision="no_concern",
        categories={"vulgar": "advise"},
        rationale="The insult, not the party",
        at=clock(),
    )
    assert [(r[0], r[1]) for r in _reviews(db)] == [
        (partisan.id, "no_concern"),
        (vulgar.id, "advise"),
    ]


def test_no_concern_needs_no_rationale_and_advise_does(db, make, clock, two_categories):
    partisan, _vulgar, _other = two_categories
    reviewer = make.user("reviewer")
    review.claim_next(db, reviewer, at=clock())
    for decision, categories in (("advise", {}), ("no_concern", {"vulgar": "escalate"})):
        with pytest.raises(InputError, match="write a rationale"):
            review.decide(
                db, partisan.id, reviewer, decision=decision, categories=categories, at=clock()
            )
    assert _reviews(db) == []
    review.decide(db, partisan.id, reviewer, decision="no_concern", at=clock())
    assert [(r[1], r[3]) for r in _reviews(db)] == [("no_concern", ""), ("no_concern", "")]


def test_a_held_item_blocks_a_second_claim_unless_asked(db, make, clock, two_categories):
    partisan, _vulgar, other = two_categories
    reviewer = make.user("reviewer")
    assert review.claim_next(db, reviewer, at=clock()).id == partisan.id
    assert review.claim_next(db, reviewer, at=clock(minutes=1)).id == partisan.id
    assert _actions(db) == ["flag.claim"]  # handing back the held item claims nothing
    assert review.claim_next(db, reviewer, another=True, at=clock(minutes=2)).id == other.id
    assert [c["flag_id"] for c in review.my_claims(db, reviewer, at=clock(minutes=2))] == [
        partisan.id,
        other.id,
    ]


def test_release_gives_back_the_whole_item(db, make, clock, two_categories):
    partisan, vulgar, _other = two_categories
    reviewer, second = make.user("reviewer"), make.user("reviewer")
    review.claim_next(db, reviewer, at=clock())
    review.release(db, vulgar.id, reviewer, at=clock())
    assert {review.flag_status(db, f, clock()) for f in (partisan, vulgar)} == {"open"}
    claimed = review.claim_next(db, second, at=clock())
    db.refresh(vulgar)
    assert (claimed.id, vulgar.claimed_by_id) == (partisan.id, second.id)


def test_undo_within_the_window_reverts_and_after_it_refuses(db, make, clock, two_categories):
    partisan, vulgar, other = two_categories
    reviewer = make.user("reviewer")
    review.claim_next(db, reviewer, at=clock())
    review.decide(db, partisan.id, reviewer, decision="advise", rationale="r", at=clock())
    # straight on to the next item, as the page does
    assert review.claim_next(db, reviewer, at=clock()).id == other.id

    back = review.undo_decision(db, vulgar.id, reviewer, at=clock(seconds=90))
    assert sorted(f.id for f in back) == [partisan.id, vulgar.id]
    assert _reviews(db) == []
    at = clock(seconds=91)
    assert [review.flag_status(db, f, at) for f in (partisan, vulgar, other)] == [
        "claimed",
        "claimed",
        "open",  # the item handed out after the decision went back: one item held at a time
    ]
    assert _actions(db)[-2:] == ["flag.release", "review.undo"]
    undo = db.scalar(select(AuditEvent).where(AuditEvent.action == "review.undo"))
    assert sorted(undo.details["flag_ids"]) == [partisan.id, vulgar.id]

    review.decide(db, partisan.id, reviewer, decision="no_concern", at=clock(minutes=2))
    late = clock(minutes=2) + UNDO_WINDOW + timedelta(seconds=1)
    with pytest.raises(review.Conflict, match="ask a lead to reopen"):
        review.undo_decision(db, partisan.id, reviewer, at=late)
    assert [r[1] for r in _reviews(db)] == ["no_concern", "no_concern"]


def test_undo_is_refused_once_someone_else_acted(db, make, clock):
    flag = make.flag()
    reviewer, other, lead = make.user("reviewer"), make.user("reviewer"), make.user("lead")
    review.claim_next(db, reviewer, at=clock())
    review.decide(db, flag.id, reviewer, decision="escalate", rationale="Senior", at=clock())
    with pytest.raises(review.NotFound):  # not one they decided: as if it did not exist
        review.undo_decision(db, flag.id, other, at=clock())
    review.close_escalation(
        db, flag.id, lead, decision="refer", clause="partisan", rationale="Refer", at=clock()
    )
    with pytest.raises(review.Conflict, match="no decision of yours"):
        review.undo_decision(db, flag.id, reviewer, at=clock(seconds=30))
    assert review.flag_status(db, flag, clock(seconds=30)) == "closed"


def test_cross_posted_copies_of_an_item_are_decided_and_undone_with_it(db, make, clock):
    person = make.person()
    text = "Vote Purple, you useless idiots"
    posts = [make.post(make.account(person), text) for _ in range(2)]
    flags = [make.flag(p, category=c, risk=0.8) for p in posts for c in ("partisan", "vulgar")]
    review.enqueue(db, at=clock())
    reviewer = make.user("reviewer")
    first = review.claim_next(db, reviewer, at=clock())
    assert first.post_id == posts[0].id
    held = db.scalars(select(Flag.id).where(Flag.claimed_by_id == reviewer.id)).all()
    assert sorted(held) == [flags[0].id, flags[1].id]  # the copies are decided, not handed out
    reviews = review.decide(db, first.id, reviewer, decision="no_concern", at=clock())
    assert sorted(r.flag_id for r in reviews) == sorted(f.id for f in flags)
    assert review.claim_next(db, reviewer, at=clock()) is None
    review.undo_decision(db, first.id, reviewer, at=clock(seconds=5))
    at = clock(seconds=6)
    assert [review.flag_status(db, f, at) for f in flags] == ["claimed", "claimed", "open", "open"]


def test_a_lead_closes_every_escalated_category_of_the_item(db, make, clock, two_categories):
    partisan, vulgar, _other = two_categories
    reviewer, lead = make.user("reviewer"), make.user("lead")
    review.claim_next(db, reviewer, at=clock())
    review.decide(db, partisan.id, reviewer, decision="escalate", rationale="r", at=clock())
    closed = review.close_escalation(
        db, partisan.id, lead, decision="advise", clause="partisan", rationale="Advise", at=clock()
    )
    assert sorted((r.flag_id, r.clause) for r in closed) == [
        (partisan.id, "partisan"),
        (vulgar.id, "vulgar"),
    ]
    assert review.escalations(db, lead) == []


def test_the_risk_is_put_in_words() -> None:
    assert [risk_level(r) for r in (0.95, 0.75, 0.6, 0.2)] == [
        "high_risk",
        "high_risk",
        "medium_risk",
        "low_risk",
    ]


def test_the_question_matches_the_categories_in_the_posts_language() -> None:
    english = reviewer_questions(["vulgar", "partisan"], "en")
    assert [q["category"] for q in english] == ["vulgar", "partisan"]
    assert "vulgar, insulting or demeaning" in english[0]["question"]
    assert "party" in english[1]["question"] and "vulgar" not in english[1]["question"]
    with i18n.use_lang("en"):  # a French post on an English page: the question in French
        french = reviewer_questions(["vulgar"], "fr")
    assert french[0]["lang"] == "fr"
    assert "vulgaires" in french[0]["question"] and "Propos vulgaires" in french[0]["description"]
    sample = reviewer_questions(["none"], "fr")
    assert sample[0]["question"].startswith("Une personne raisonnable")
    with i18n.use_lang("fr"):  # an unknown language follows the page
        assert reviewer_questions(["partisan"], None)[0]["lang"] == "fr"
