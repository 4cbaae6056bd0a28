"""The similar decided flags: only near ones, never the viewer's own or the same post, and
found through the HNSW index of migration 0012 with the filters applied."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import text

from pipeline.config import get_settings
from pipeline.db.models import Flag, Review
from pipeline.review import similar_decided
from pipeline.review.similar import similar_search
from tests.factories import T0

HNSW = "ix_embedding_vector_384_hnsw"


def at_distance(origin: np.ndarray, distance: float, seed: int) -> list[float]:
    """A unit vector at cosine ``distance`` from the unit vector ``origin``."""
    other = np.random.default_rng([seed, 1]).standard_normal(origin.shape)
    other -= other.dot(origin) * origin
    other /= np.linalg.norm(other)
    cos = 1.0 - distance
    return (cos * origin + np.sqrt(1.0 - cos * cos) * other).tolist()


def unit(dim: int, seed: int = 0) -> np.ndarray:
    vector = np.random.default_rng(seed).standard_normal(dim)
    return vector / np.linalg.norm(vector)


# Three orthonormal directions of the 384-dimension space. Vectors of the index tests lie near
# the sphere they span: like texts, and unlike random points (all about equally far apart),
# they have near and far neighbours, the shape HNSW is made for.
SPHERE = np.linalg.qr(np.random.default_rng(5).standard_normal((384, 3)))[0]


def on_sphere(point: np.ndarray | list[float], seed: int) -> list[float]:
    """``point`` (3 coordinates) in 384 dimensions, with a little noise of its own."""
    noise = np.random.default_rng([seed, 2]).standard_normal(384) * 1e-3
    return (SPHERE @ np.asarray(point, dtype=float) + noise).tolist()


def decide(db, flag: Flag, reviewer, decision: str = "advise") -> Flag:
    flag.closed_at = T0
    db.add(
        Review(
            flag_id=flag.id,
            reviewer_id=reviewer.id,
            decision=decision,
            clause=flag.category,
            rationale="reasoned",
        )
    )
    db.flush()
    return flag


def decided_at(db, make, reviewer, vector: list[float], *, account=None, seed: int = 1) -> Flag:
    """A decided flag on a new post whose text has ``vector``."""
    name = f"decided post #{seed}"
    make.embedding(name, vector)
    post = make.post(account or make.account(make.person()), name)
    return decide(db, make.flag(post), reviewer)


def decided_near(db, make, reviewer, origin, distance, *, seed=1) -> Flag:
    """A decided flag whose vector lies ``distance`` from ``origin``."""
    return decided_at(db, make, reviewer, at_distance(origin, distance, seed), seed=seed)


def open_at(make, vector: list[float]) -> Flag:
    """The open flag under review, its text's vector ``vector``."""
    make.embedding("the flag under review", vector)
    return make.flag(text="the flag under review")


def setting(db, name: str, value: str) -> None:
    """A planner setting for the rest of the test's transaction."""
    db.execute(text("SELECT set_config(:name, :value, true)"), {"name": name, "value": value})


def as_at_scale(db, on: bool = True) -> None:
    """Plan as at a million rows, where reading every vector and sorting them costs most: no
    sequential scans, no sorts of the candidates (a few hundred rows here, in tables the
    earlier tests left dead rows in, can make another plan look cheaper)."""
    for name in ("enable_seqscan", "enable_sort"):
        setting(db, name, "off" if on else "on")


@pytest.mark.parametrize("dim", [3, 384], ids=["exact search", "index dimension"])
def test_decided_flags_beyond_the_distance_cap_are_not_listed(db, make, monkeypatch, dim) -> None:
    origin, reviewer = unit(dim), make.user("reviewer")
    near, mid, far = (
        decided_near(db, make, reviewer, origin, d, seed=i) for i, d in enumerate((0.2, 0.6, 0.9))
    )
    flag = open_at(make, origin.tolist())

    def listed(**kwargs) -> list[int]:
        return [s["flag_id"] for s in similar_decided(db, flag, reviewer, **kwargs)]

    assert get_settings().similar_max_distance == 0.70
    assert listed() == [near.id, mid.id]
    assert listed(max_distance=2.0) == [near.id, mid.id, far.id]
    assert similar_decided(db, flag, reviewer)[0]["distance"] == pytest.approx(0.2, abs=1e-4)
    monkeypatch.setenv("IMPARTIAL_SIMILAR_MAX_DISTANCE", "0.5")
    get_settings.cache_clear()
    try:
        assert listed() == [near.id]
    finally:
        monkeypatch.delenv("IMPARTIAL_SIMILAR_MAX_DISTANCE")
        get_settings.cache_clear()


def test_another_flag_on_the_same_post_is_never_listed(db, make) -> None:
    origin, reviewer = unit(384), make.user("reviewer")
    words = "Vote Purple: the minister's housing plan is a disaster"
    make.embedding(words, origin.tolist())
    post = make.post(make.account(make.person()), words)
    partisan = decide(db, make.flag(post, category="partisan"), reviewer)
    policy = make.flag(post, category="government_policy")
    # the same words posted by someone else: a different post, at distance 0
    copy = decide(db, make.flag(make.post(make.account(make.person()), words)), reviewer)

    listed = similar_decided(db, policy, reviewer)

    assert [s["flag_id"] for s in listed] == [copy.id]
    assert partisan.id not in [s["flag_id"] for s in listed]
    assert listed[0]["distance"] == pytest.approx(0.0, abs=1e-6)


def test_flags_about_the_viewers_own_posts_are_never_listed_even_when_nearest(db, make) -> None:
    """More of the viewer's own posts lie nearer than the index's candidate list is long:
    the iterative scan goes on past them to the flags the viewer may see."""
    author = make.user("reviewer")
    me = make.person("Rae Viewer")
    viewer = make.user("reviewer", person=me)
    mine = make.account(me)

    def arc(angle: float, seed: int) -> list[float]:  # a great circle, from the flag onward
        return on_sphere([np.cos(angle), np.sin(angle), 0.05 * np.sin(7 * angle)], seed)

    flag = open_at(make, arc(0.0, 0))
    own = {
        decided_at(db, make, author, arc(0.1 + i / 400, i), account=mine, seed=i).id
        for i in range(120)
    }
    others = {
        decided_at(db, make, author, arc(0.5 + i / 50, 500 + i), seed=500 + i).id for i in range(8)
    }
    db.execute(text("ANALYZE embedding, flag, post, account"))

    as_at_scale(db)
    query, params = similar_search(db, flag, viewer)
    plan = "\n".join(db.execute(text("EXPLAIN " + query.text), params).scalars())
    listed = [s["flag_id"] for s in similar_decided(db, flag, viewer)]
    for_the_author = {s["flag_id"] for s in similar_decided(db, flag, author)}
    as_at_scale(db, on=False)
    setting(db, "enable_indexscan", "off")
    exact = [s["flag_id"] for s in similar_decided(db, flag, viewer)]

    assert HNSW in plan
    assert len(listed) == 5 and set(listed) <= others
    assert listed == exact
    assert len(for_the_author) == 5 and for_the_author <= own


def test_the_migration_adds_the_hnsw_index_and_the_decided_flags_index(db) -> None:
    indexes = dict(
        db.execute(
            text(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('embedding', 'flag')"
            )
        ).all()
    )
    assert "USING hnsw (((vector)::vector(384)) vector_cosine_ops)" in indexes[HNSW]
    assert indexes[HNSW].endswith("WHERE (dim = 384)")
    assert "WHERE (closed_at IS NOT NULL)" in indexes["ix_flag_decided_content_hash"]


def test_the_index_search_lists_what_an_exact_search_lists(db, make) -> None:
    reviewer = make.user("reviewer")
    points = np.random.default_rng(3).standard_normal((200, 3))
    for i, point in enumerate(points):
        decided_at(db, make, reviewer, on_sphere(point, i), seed=i)
    flag = open_at(make, on_sphere([1.0, 0.2, -0.3], 999))
    db.execute(text("ANALYZE embedding, flag"))

    def search() -> tuple[list[int], str]:
        query, params = similar_search(db, flag, reviewer, limit=8)
        plan = "\n".join(db.execute(text("EXPLAIN " + query.text), params).scalars())
        return [s["flag_id"] for s in similar_decided(db, flag, reviewer, limit=8)], plan

    as_at_scale(db)
    approximate, index_plan = search()
    as_at_scale(db, on=False)
    setting(db, "enable_indexscan", "off")
    exact, exact_plan = search()

    assert HNSW in index_plan and HNSW not in exact_plan
    assert len(exact) == 8
    assert approximate == exact


def test_a_flag_without_a_vector_of_the_live_model_lists_nothing(db, make) -> None:
    origin, reviewer = unit(384), make.user("reviewer")
    decided_near(db, make, reviewer, origin, 0.1)
    assert similar_decided(db, make.flag(text="never embedded"), reviewer) == []
