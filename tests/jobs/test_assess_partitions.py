"""The assess stage in partitions: planned over the pending posts, assessed side by side by
workers that never assess the same post, with the results of one task; in the DAG, one mapped
task per partition (real PostgreSQL, the fake embedder)."""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from pipeline.classify import assess as assess_module
from pipeline.classify.assess import assess_pending
from pipeline.classify.embedding.fake import FakeEmbedder
from pipeline.config import get_settings
from pipeline.db.models import Assessment, Embedding, Flag, Post, ScanRun
from pipeline.jobs import assess_partitions
from tests.factories import Factory

TEXTS = [
    "Vote Conservative on election day, the Liberals have failed us. Views are my own.",
    "What a fucking idiot, shut up you clown.",
    "Check out my new YouTube channel and please subscribe! Use my promo code for 20% off.",
    "Spent the weekend canoeing with my kids, the fall colours were amazing.",
    "Quel connard, ferme ta gueule.",
    "The new transit plan is a disgrace and the minister should resign.",
    "Our team published the annual report on water quality today.",
    "Buy my book, link in bio, signed copies this week only.",
]
POSTS = 40


@pytest.fixture
def pending(db: Session, make: Factory) -> list[int]:
    """Forty unassessed posts of two people; the same texts recur across the id range."""
    accounts = [make.account(make.person(name)) for name in ("Ana Roy", "Luc Tremblay")]
    ids = [
        make.post(accounts[n % 2], f"{TEXTS[n % len(TEXTS)]} {'#' * (n // 16)}".strip()).id
        for n in range(POSTS)
    ]
    db.commit()
    return ids


def outcome(db: Session) -> tuple[dict, dict]:
    """Every assessment's scores and risk, and every flag's score, keyed by post."""
    db.expire_all()
    assessments = {
        (a.post_id, a.content_hash): (a.scores, a.risk) for a in db.scalars(sa.select(Assessment))
    }
    flags = {(f.post_id, f.category): f.score for f in db.scalars(sa.select(Flag))}
    db.rollback()
    return assessments, flags


def assessments_per_post(db: Session) -> Counter:
    rows = db.execute(sa.select(Assessment.post_id, sa.func.count()).group_by(Assessment.post_id))
    counts = Counter(dict(rows.all()))
    db.rollback()
    return counts


def run_at_once(partitions: list[dict]) -> list[dict]:
    """Each partition in its own thread with its own embedder, all started together."""
    start = threading.Barrier(len(partitions))

    def one(partition: dict) -> dict:
        start.wait(timeout=30)
        return assess_partitions.assess_partition(partition, embedder=FakeEmbedder(), batch_size=4)

    with ThreadPoolExecutor(max_workers=len(partitions)) as pool:
        return list(pool.map(one, partitions))


def test_partition_count_follows_the_setting_and_the_backlog() -> None:
    assert assess_partitions.partition_count(10_000, 4, 1000) == 4
    assert assess_partitions.partition_count(2_500, 4, 1000) == 2  # backlog / min size
    assert assess_partitions.partition_count(0, 4, 1000) == 1
    assert assess_partitions.partition_count(10_000, 1, 10) == 1
    assert 1 <= assess_partitions.partition_count(10**6, "auto", 1) <= 4096


def test_plan_covers_every_pending_post_with_disjoint_id_ranges(pending: list[int]) -> None:
    parts = assess_partitions.plan("run/1", partitions=3, min_posts=5)
    assert [p["index"] for p in parts] == [0, 1, 2]
    assert {p["partitions"] for p in parts} == {3}
    assert sum(p["posts"] for p in parts) == POSTS
    assert parts[0]["after_id"] == 0 and parts[-1]["upto_id"] is None
    for before, after in itertools.pairwise(parts):
        assert before["upto_id"] == after["after_id"]  # (after_id, upto_id] ranges that touch
    inside = [
        [i for i in pending if p["after_id"] < i and (p["upto_id"] is None or i <= p["upto_id"])]
        for p in parts
    ]
    assert [len(ids) for ids in inside] == [p["posts"] for p in parts]

    assert len(assess_partitions.plan("run/1", partitions=3, min_posts=30)) == 1
    assess_partitions.assess_partition(parts[0], embedder=FakeEmbedder())
    after = assess_partitions.plan("run/1", partitions=3, min_posts=5)
    assert sum(p["posts"] for p in after) == POSTS - parts[0]["posts"]


def test_two_partitions_at_once_assess_each_post_once_with_one_tasks_flags(
    db: Session, pending: list[int]
) -> None:
    parts = assess_partitions.plan("run/1", partitions=2, min_posts=1)
    assert len(parts) == 2

    results = run_at_once(parts)

    assert assessments_per_post(db) == Counter(dict.fromkeys(pending, 1))
    assert sorted(r["partition"] for r in results) == [0, 1]
    assert [r["posts"] for r in results] == [p["posts"] for p in parts]
    combined = assess_partitions.combine(results)
    assert combined is not None and combined["assessed"] == POSTS
    partitioned = outcome(db)
    assert combined["flags_created"] == len(partitioned[1]) > 0

    for table in (Flag, Assessment, Embedding):
        db.execute(sa.delete(table))
    db.commit()
    one_task = assess_pending(embedder=FakeEmbedder())
    assert one_task.assessed == POSTS
    assert outcome(db) == partitioned


def test_two_workers_on_the_same_partition_never_score_a_post_twice(
    db: Session, pending: list[int]
) -> None:
    (whole,) = assess_partitions.plan("run/1", partitions=1, min_posts=1)

    results = run_at_once([whole, whole])

    assert assessments_per_post(db) == Counter(dict.fromkeys(pending, 1))
    assert sum(r["posts"] for r in results) == POSTS  # each post scored by one worker only
    again = assess_partitions.assess_partition(whole, embedder=FakeEmbedder())
    assert again["posts"] == 0 and again["assessed"] == 0


def test_posts_another_worker_holds_are_left_to_it(
    engine: sa.Engine, db: Session, pending: list[int]
) -> None:
    (whole,) = assess_partitions.plan("run/1", partitions=1, min_posts=1)
    held = pending[5:8]
    with engine.connect() as other:
        other.execute(sa.select(Post.id).where(Post.id.in_(held)).with_for_update()).all()
        first = assess_partitions.assess_partition(whole, embedder=FakeEmbedder(), batch_size=4)
        other.rollback()
    assert first["posts"] == POSTS - len(held)
    assert set(assessments_per_post(db)) == set(pending) - set(held)

    rerun = assess_partitions.assess_partition(whole, embedder=FakeEmbedder())
    assert rerun["posts"] == len(held)
    assert assessments_per_post(db) == Counter(dict.fromkeys(pending, 1))


def test_combine_sums_the_partitions_and_notices_a_missing_one() -> None:
    parts = [
        {"run_key": "r", "partition": i, "partitions": 3, "assessed": 2, "flags_created": 1}
        for i in range(3)
    ]
    total = assess_partitions.combine(parts)
    assert total is not None
    assert (total["assessed"], total["flags_created"], total["partitions"]) == (6, 3, 3)
    assert assess_partitions.combine(parts[:2]) is None
    assert assess_partitions.combine([]) is None
    partial = assess_partitions.combine(parts[:2], complete=False)
    assert partial is not None and partial["assessed"] == 4


@pytest.fixture
def two_partitions(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Scans cut the assess stage in two, scored by the fake embedder (no model)."""
    monkeypatch.setenv("IMPARTIAL_ASSESS_PARTITIONS", "2")
    monkeypatch.setenv("IMPARTIAL_ASSESS_PARTITION_MIN_POSTS", "1")
    monkeypatch.setattr(assess_module, "get_embedder", lambda model_id=None: FakeEmbedder())
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_the_dag_assesses_in_two_mapped_partitions_and_queues_after_both(
    db: Session, demo_world: Session, run_dag, two_partitions: None
) -> None:
    result = run_dag("nightly_scan", expect="success")

    assert result.tasks["plan_assess"] == ["success"]
    assert result.tasks["assess"] == ["success", "success"]
    assert result.tasks["queue"] == result.tasks["publish"] == ["success"]
    posts = db.scalars(sa.select(Post.id)).all()
    db.rollback()
    assert posts and assessments_per_post(db) == Counter(dict.fromkeys(posts, 1))
    run = db.scalar(sa.select(ScanRun))
    assert (run.status, run.assessed) == ("success", len(posts))
