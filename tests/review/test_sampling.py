"""Quality samples: a random share (the miss-rate estimate's, blind to scores) and an
uncertain share (the unflagged posts closest below a threshold), each sample saying how it was
drawn; only the random ones feed the miss-rate report."""

from __future__ import annotations

import hashlib

from sqlalchemy import text

from pipeline import review
from pipeline.config import Settings, get_settings
from pipeline.reports import runner as reports
from tests.factories import World
from tests.reports.test_reports import unsuppressed


def settings(rate: float, uncertain: float) -> Settings:
    return get_settings().model_copy(
        update={"sample_rate": rate, "sample_uncertain_share": uncertain}
    )


def official_posts(db, make, first: int, last: int) -> None:
    """Assessed posts ``first..last`` of an official account: post g scores (g % 97) / 200 in
    partisan (all under its 0.5 threshold) and 0.1 in vulgar (threshold 0.9)."""
    account = make.account(kind="official", org_unit="Comms")
    classifier = make.live_classifier()
    classifier.thresholds = {"partisan": 0.5, "vulgar": 0.9}
    db.flush()
    db.execute(
        text(
            "INSERT INTO post (account_id, external_id, text, content_hash, published_at) "
            "SELECT :a, g::text, 'post ' || g, md5(g::text), now() "
            "FROM generate_series(CAST(:first AS int), CAST(:last AS int)) g"
        ),
        {"a": account.id, "first": first, "last": last},
    )
    db.execute(
        text(
            "INSERT INTO assessment (post_id, classifier_id, content_hash, policy_version, "
            "scores, risk) "
            "SELECT p.id, :c, p.content_hash, 'p1', "
            "       jsonb_build_object('partisan', (CAST(p.external_id AS int) % 97) / 200.0, "
            "                          'vulgar', 0.1), 0.1 "
            "FROM post p WHERE NOT EXISTS (SELECT 1 FROM assessment a WHERE a.post_id = p.id)"
        ),
        {"c": classifier.id},
    )


def drawn(db, draw: str) -> dict[int, float]:
    """Sampled post id -> its partisan score, for one draw."""
    rows = db.execute(
        text(
            "SELECT f.post_id, CAST(a.scores ->> 'partisan' AS float8) FROM flag f "
            "JOIN assessment a ON a.id = f.assessment_id "
            "WHERE f.is_sample AND f.sample_draw = :d"
        ),
        {"d": draw},
    ).all()
    return {post_id: score for post_id, score in rows}


def test_the_uncertain_share_takes_the_unflagged_posts_closest_below_a_threshold(
    db, make, clock
) -> None:
    official_posts(db, make, 1, 200)
    top = db.execute(  # the highest score of all is flagged: no candidate
        text(
            "SELECT post_id FROM assessment "
            "ORDER BY CAST(scores ->> 'partisan' AS float8) DESC, post_id LIMIT 1"
        )
    ).scalar_one()
    db.execute(
        text(
            "INSERT INTO flag (post_id, assessment_id, category, content_hash, score, risk) "
            "SELECT post_id, id, 'partisan', content_hash, 0.48, 0.1 FROM assessment "
            "WHERE post_id = :top"
        ),
        {"top": top},
    )
    counts = review.enqueue(db, at=clock(), settings=settings(0.1, 0.5))
    random, uncertain = drawn(db, "random"), drawn(db, "uncertain")
    assert len(uncertain) == counts["samples_uncertain"] == 9  # floor(0.05 * 199 unflagged)
    assert counts["samples"] == len(random) + len(uncertain)
    assert top not in uncertain and not set(random) & set(uncertain)
    # the highest scores among the posts neither flagged nor drawn at random
    rest = db.scalars(
        text(
            "SELECT CAST(scores ->> 'partisan' AS float8) AS s FROM assessment "
            "WHERE post_id <> :top AND NOT (post_id = ANY(:random)) ORDER BY s DESC LIMIT 9"
        ),
        {"top": top, "random": list(random)},
    ).all()
    assert sorted(uncertain.values(), reverse=True) == rest
    assert min(uncertain.values()) >= 0.4  # near the 0.5 threshold (scores reach 0.48)
    assert review.enqueue(db, at=clock(), settings=settings(0.1, 0.5))["samples"] == 0


def hash_draw(db, rate: float) -> set[int]:
    """The random draw, computed here: the first 32 bits of md5('post_id:content_hash')
    under ``rate`` of 2^32, whatever the scores."""
    cutoff = int(rate * 2**32)
    return {
        post_id
        for post_id, content_hash in db.execute(text("SELECT id, content_hash FROM post")).all()
        if int(hashlib.md5(f"{post_id}:{content_hash}".encode()).hexdigest()[:8], 16) < cutoff
    }


def test_the_random_share_is_the_hash_draw_whatever_is_drawn_for_uncertainty(
    db, make, clock
) -> None:
    official_posts(db, make, 1, 400)
    review.enqueue(db, at=clock(), settings=settings(0.4, 0.5))
    random, uncertain = drawn(db, "random"), drawn(db, "uncertain")
    assert set(random) == hash_draw(db, 0.2)  # sample_rate x (1 - uncertain share)
    assert len(uncertain) == 80 and not set(random) & set(uncertain)
    # blind to the scores: the random samples score like all posts, the uncertain ones higher
    assert abs(sum(random.values()) / len(random) - 0.24) < 0.05
    assert min(uncertain.values()) >= 0.3
    # new posts: the random draw takes its share of them, the uncertain quota is topped up
    official_posts(db, make, 401, 410)
    counts = review.enqueue(db, at=clock(), settings=settings(0.4, 0.5))
    assert counts["samples_uncertain"] == 2  # floor(0.2 * 410) - 80
    assert set(drawn(db, "random")) == hash_draw(db, 0.2)
    assert review.enqueue(db, at=clock(), settings=settings(0.4, 0.5))["samples"] == 0


def test_the_miss_rate_counts_only_the_random_samples(world: World, db) -> None:
    official = world.account(kind="official", org_unit="Comms")
    rae = world.user("rae@example.org")
    # random: one miss in ten; uncertain (picked for being near a threshold): eight in ten
    for draw, misses in (("random", 1), ("uncertain", 8)):
        for i in range(10):
            post = world.post(official, f"{draw} {i}", days_ago=2)
            sample = world.flag(post, "none", sample=True, draw=draw)
            if i < misses:
                world.review(sample, rae, "advise", at=post.published_at, clause="partisan")
            else:
                world.review(sample, rae, "no_concern", at=post.published_at)
    db.commit()
    records = reports.run_report("miss_rate", **unsuppressed()).records()
    total = {r["account_kind"]: r for r in records}["all"]
    assert (total["samples"], total["reviewed"], total["misses"]) == (10, 10, 1)
    assert float(total["miss_rate_pct"]) == 10.0
