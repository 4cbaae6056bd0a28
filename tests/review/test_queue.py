"""Queue semantics on the real database: order, leases, decisions, groups, samples, status."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from pipeline import review
from pipeline.config import get_settings
from pipeline.db.models import AuditEvent, Flag, Review
from pipeline.errors import InputError
from pipeline.review.claims import CLAIM_SQL
from tests.factories import T0


def test_claims_come_highest_risk_first_then_oldest(db, make, clock) -> None:
    low = make.flag(risk=0.3, created_at=T0 - timedelta(days=5))
    high_new = make.flag(risk=0.9, created_at=T0)
    high_old = make.flag(risk=0.9, created_at=T0 - timedelta(hours=3))
    review.enqueue(db, at=clock())
    reviewer = make.user("reviewer")
    order = [review.claim_next(db, reviewer, another=True, at=clock()).id for _ in range(3)]
    assert order == [high_old.id, high_new.id, low.id]
    assert review.claim_next(db, reviewer, another=True, at=clock()) is None


def test_an_expired_lease_returns_the_flag_to_the_queue(db, make, clock) -> None:
    flag = make.flag()
    first, second = make.user("reviewer"), make.user("reviewer")
    assert review.claim_next(db, first, at=clock()).id == flag.id
    lease = get_settings().lease_minutes
    assert review.claim_next(db, second, at=clock(minutes=lease - 1)) is None
    assert review.flag_status(db, flag, clock(minutes=lease - 1)) == "claimed"
    assert review.flag_status(db, flag, clock(minutes=lease)) == "open"
    assert review.claim_next(db, second, at=clock(minutes=lease)).id == flag.id
    with pytest.raises(review.NotFound):  # the flag is another reviewer's now
        review.decide(
            db,
            flag.id,
            first,
            decision="advise",
            clause="partisan",
            rationale="late",
            at=clock(minutes=lease + 1),
        )


def test_release_gives_the_flag_back_and_is_audited(db, make, clock) -> None:
    flag = make.flag()
    reviewer, other = make.user("reviewer"), make.user("reviewer")
    review.claim_next(db, reviewer, at=clock())
    with pytest.raises(review.NotFound):  # another reviewer's flag is not one to know about
        review.release(db, flag.id, other, at=clock())
    review.release(db, flag.id, reviewer, at=clock())
    assert review.flag_status(db, flag, clock()) == "open"
    actions = db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["flag.claim", "flag.release"]


def test_a_decision_needs_a_clause_and_a_rationale(db, make, clock) -> None:
    flag = make.flag()
    reviewer = make.user("reviewer")
    review.claim_next(db, reviewer, at=clock())
    for clause, rationale, decision in (
        ("partisan", " ", "advise"),
        ("bogus", "x", "advise"),
        ("none", "fine", "advise"),
        ("partisan", "x", "refer"),
    ):
        with pytest.raises(InputError):
            review.decide(
                db,
                flag.id,
                reviewer,
                decision=decision,
                clause=clause,
                rationale=rationale,
                at=clock(),
            )
    assert db.scalar(select(Review.id)) is None
    review.decide(
        db,
        flag.id,
        reviewer,
        decision="no_concern",
        clause="partisan",
        rationale="Factual announcement",
        at=clock(),
    )
    assert review.flag_status(db, flag, clock()) == "closed"


def test_one_decision_covers_cross_posted_copies(db, make, clock) -> None:
    person = make.person()
    text_ = "Vote for the Purple Party on Monday"
    copies = [make.flag(make.post(make.account(person), text_), risk=0.8) for _ in range(3)]
    other_person = make.flag(make.post(make.account(make.person()), text_), risk=0.7)
    counts = review.enqueue(db, at=clock())
    assert counts["grouped"] == 4 and counts["joined_existing"] == 2
    reviewer = make.user("reviewer")
    claimed = review.claim_next(db, reviewer, at=clock())
    assert claimed.id == copies[0].id
    reviews = review.decide(
        db,
        claimed.id,
        reviewer,
        decision="advise",
        clause="partisan",
        rationale="Partisan call to vote",
        at=clock(),
    )
    assert sorted(r.flag_id for r in reviews) == sorted(f.id for f in copies)
    assert review.claim_next(db, reviewer, at=clock()).id == other_person.id


def test_near_duplicate_embeddings_join_the_same_group(db, make, clock) -> None:
    person = make.person()
    a_text, b_text, far_text = "Vote Purple!", "Vote Purple!!", "Lunch was nice"
    make.embedding(a_text, [1.0, 0.0, 0.0])
    make.embedding(b_text, [0.999, 0.01, 0.0])
    make.embedding(far_text, [0.0, 1.0, 0.0])
    a = make.flag(make.post(make.account(person), a_text))
    review.enqueue(db, at=clock())
    b = make.flag(make.post(make.account(person), b_text))
    far = make.flag(make.post(make.account(person), far_text))
    review.enqueue(db, at=clock())
    db.refresh(a), db.refresh(b), db.refresh(far)
    assert a.group_key == b.group_key != far.group_key


def test_escalation_goes_to_a_lead_who_closes_and_can_reopen(db, make, clock) -> None:
    flag = make.flag()
    reviewer, lead = make.user("reviewer"), make.user("lead")
    review.claim_next(db, reviewer, at=clock())
    review.decide(
        db,
        flag.id,
        reviewer,
        decision="escalate",
        clause="partisan",
        rationale="Senior official, large audience",
        at=clock(),
    )
    assert review.flag_status(db, flag, clock()) == "escalated"
    assert review.queue_stats(db, at=clock())["escalated"] == 1
    assert [e["flag_id"] for e in review.escalations(db, lead)] == [flag.id]
    with pytest.raises(review.NotAllowed):
        review.close_escalation(
            db, flag.id, reviewer, decision="refer", clause="partisan", rationale="x", at=clock()
        )
    review.close_escalation(
        db,
        flag.id,
        lead,
        decision="refer",
        clause="partisan",
        rationale="Refer to values and ethics",
        at=clock(minutes=1),
    )
    assert review.flag_status(db, flag, clock(minutes=1)) == "closed"
    assert review.escalations(db, lead) == []
    assert review.queue_stats(db, at=clock(minutes=1))["escalated"] == 0
    review.reopen(db, flag.id, lead, rationale="New context", at=clock(minutes=2))
    assert review.flag_status(db, flag, clock(minutes=2)) == "open"
    assert review.claim_next(db, reviewer, at=clock(minutes=3)).id == flag.id


def test_python_and_sql_status_rules_agree(db, make, clock) -> None:
    flags = [make.flag() for _ in range(4)]
    reviewer = make.user("reviewer")
    review.claim_next(db, reviewer, at=clock())  # flags[0] claimed
    review.claim_next(db, reviewer, another=True, at=clock())
    review.decide(
        db, flags[1].id, reviewer, decision="escalate", clause="vulgar", rationale="r", at=clock()
    )
    review.claim_next(db, reviewer, another=True, at=clock())
    review.decide(
        db, flags[2].id, reviewer, decision="advise", clause="vulgar", rationale="r", at=clock()
    )
    at = clock(minutes=1)
    from_sql = dict(db.execute(select(Flag.id, review.status_sql(at))).all())
    from_python = {f.id: review.flag_status(db, f, at) for f in flags}
    assert from_sql == from_python
    assert sorted(from_sql.values()) == ["claimed", "closed", "escalated", "open"]


def test_closed_at_is_written_only_by_the_decision_path() -> None:
    import pathlib
    import re

    # SQL is written in capitals here, so "set" in prose is no write
    write = re.compile(r"\.closed_at\s*=(?!=)|\bSET\s[^;]*\bclosed_at\s*=(?!=)|closed_at\s*=\s*:")
    root = pathlib.Path(review.__file__).parents[1]
    writers = [
        p.relative_to(root).as_posix()
        for p in sorted(root.rglob("*.py"))
        if write.search(p.read_text())
    ]
    assert writers == ["review/decisions.py"]


def test_a_reviewer_never_receives_or_opens_a_flag_on_their_own_posts(db, make, clock) -> None:
    me = make.person("Rae Viewer")
    own = make.flag(make.post(make.account(me), "my own post"), risk=0.99)
    reviewer = make.user("reviewer", person=me)
    assert review.claim_next(db, reviewer, at=clock()) is None
    with pytest.raises(review.NotFound):
        review.view_flag(db, own.id, reviewer, at=clock())
    lead = make.user("lead", person=me)
    with pytest.raises(review.NotFound):
        review.view_flag(db, own.id, lead, at=clock())
    other = make.user("reviewer")
    assert review.claim_next(db, other, at=clock()).id == own.id


def test_reviewers_see_a_blind_view_and_only_leads_reveal_escalations(db, make, clock) -> None:
    person = make.person("Secret Name", seniority="executive")
    flag = make.flag(make.post(make.account(person, audience=9000), "Vote Purple"))
    reviewer, lead = make.user("reviewer"), make.user("lead")
    with pytest.raises(review.NotFound):
        review.view_flag(db, flag.id, reviewer, at=clock())
    review.claim_next(db, reviewer, at=clock())
    view = review.view_flag(db, flag.id, reviewer, at=clock())
    assert (view.pseudonym, view.seniority_band, view.audience_size) == (
        person.pseudonym,
        "executive",
        9000,
    )
    assert "Secret Name" not in str(view.as_dict()) and view.url is None
    why = "Refer to values and ethics"
    with pytest.raises(review.NotAllowed):
        review.reveal_identity(db, flag.id, lead, reason=why, at=clock())
    review.decide(
        db, flag.id, reviewer, decision="escalate", clause="partisan", rationale="r", at=clock()
    )
    with pytest.raises(review.NotAllowed):
        review.reveal_identity(db, flag.id, reviewer, reason=why, at=clock())
    identity = review.reveal_identity(db, flag.id, lead, reason=why, at=clock())
    assert identity["name"] == "Secret Name"
    reveal = db.scalar(select(AuditEvent).where(AuditEvent.action == "identity.reveal"))
    assert (reveal.actor_user_id, reveal.subject_id, reveal.person_id) == (
        lead.id,
        str(flag.id),
        person.id,
    )
    assert reveal.details["reason"] == why


def test_similar_decided_flags_come_from_pgvector(db, make, clock) -> None:
    reviewer = make.user("reviewer")
    texts = {"near": [1.0, 0.1], "far": [0.0, 1.0], "new": [1.0, 0.0]}
    for t, v in texts.items():
        make.embedding(t, v)
    flags = {t: make.flag(text=t, risk=0.9 if t != "new" else 0.1) for t in texts}
    review.enqueue(db, at=clock())
    for name in ("near", "far"):
        review.claim_next(db, reviewer, at=clock())
        review.decide(
            db,
            flags[name].id,
            reviewer,
            decision="advise" if name == "near" else "no_concern",
            clause="partisan",
            rationale=name,
            at=clock(),
        )
    similar = review.similar_decided(db, flags["new"], reviewer)
    # "far" is 1.0 away (orthogonal): over the cap (IMPARTIAL_SIMILAR_MAX_DISTANCE), not similar
    assert [s["flag_id"] for s in similar] == [flags["near"].id]
    assert similar[0]["decision"] == "advise"
    wide = review.similar_decided(db, flags["new"], reviewer, max_distance=2.0)
    assert [s["flag_id"] for s in wide] == [flags["near"].id, flags["far"].id]


def test_samples_come_from_unflagged_official_posts_once(db, make, clock, monkeypatch) -> None:
    monkeypatch.setenv("IMPARTIAL_SAMPLE_RATE", "1.0")
    monkeypatch.setenv("IMPARTIAL_SAMPLE_UNCERTAIN_SHARE", "0")  # every post drawn at random
    get_settings.cache_clear()
    try:
        official = make.account(kind="official", org_unit="Comms")
        personal = make.account(make.person())
        unflagged = make.post(official, "Our office opens at nine")
        make.assessment(unflagged, risk=0.05)
        make.assessment(make.post(personal, "My weekend hike"), risk=0.05)
        make.flag(make.post(official, "Vote Purple"))
        assert review.enqueue(db, at=clock())["samples"] == 1
        assert review.enqueue(db, at=clock())["samples"] == 0
        sample = db.scalar(select(Flag).where(Flag.is_sample))
        assert (sample.post_id, sample.category) == (unflagged.id, "none")
        monkeypatch.setenv("IMPARTIAL_SAMPLE_PERSONAL", "true")
        get_settings.cache_clear()
        assert review.enqueue(db, at=clock())["samples"] == 1
    finally:
        get_settings.cache_clear()


def test_the_sample_rate_draws_about_its_share(db, make, clock) -> None:
    official = make.account(kind="official", org_unit="Comms")
    classifier = make.live_classifier()
    db.execute(
        text(
            "INSERT INTO post (account_id, external_id, text, content_hash, published_at) "
            "SELECT :a, g::text, 'post ' || g, md5(g::text), now() FROM generate_series(1, 4000) g"
        ),
        {"a": official.id},
    )
    db.execute(
        text(
            "INSERT INTO assessment (post_id, classifier_id, content_hash, policy_version, scores, "
            "risk) SELECT id, :c, content_hash, 'p1', '{}', 0.1 FROM post"
        ),
        {"c": classifier.id},
    )
    samples = review.enqueue(db, at=clock())["samples"]
    assert 15 <= samples <= 70  # 1% of 4000 = 40


def test_claim_query_uses_the_open_flag_index(db, make) -> None:
    # On a test table the planner's choice follows the table's history (a few rows, live or
    # deleted); with sequential scans off, the plan shows the index the query is written for.
    # benchmarks/queue.py checks the plan itself at 10k and at 1M queued flags.
    db.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(
        db.scalars(
            text("EXPLAIN " + str(CLAIM_SQL)),
            {"user_id": 1, "lease_until": T0, "at": T0, "person_ids": []},
        ).all()
    )
    assert "ix_flag_queue_order" in plan
