"""nightly_scan end to end through Airflow (``dag.test()``): the embedded PostgreSQL, the fake
platforms serving the demo's synthetic posts, the real ingestion, classifier and queue."""

from __future__ import annotations

import socket

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from pipeline.config import get_settings
from pipeline.db.models import Account, Assessment, Flag, Post, ScanRun
from pipeline.demo import dataset
from pipeline.registry import accounts
from pipeline.vocabulary import CATEGORIES

pytestmark = pytest.mark.model  # the assess step loads the real sentence-transformers model

DEMO = dataset.load()
SCANNED = {a.name for a in DEMO.scanned_accounts()}
SCANNED_POSTS = sum(len(a.posts) for a in DEMO.scanned_accounts())


def counts(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            table: conn.scalar(sa.text(f"SELECT count(*) FROM {table}"))
            for table in ("post", "assessment", "flag", "scan_run")
        }


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_nightly_scan_stores_assesses_and_queues_and_a_rerun_adds_nothing(
    engine: sa.Engine, demo_world: Session, run_dag
) -> None:
    first = run_dag("nightly_scan", expect="success")

    for platform in ("mastodon", "bluesky", "rss"):
        assert first.tasks[f"ingest_{platform}"] and set(first.tasks[f"ingest_{platform}"]) == {
            "success"
        }
    assert first.tasks["publish"] == ["success"]  # posts were assessed: the asset was emitted
    events = asset_events()
    assert events[-1]["assessed"] >= SCANNED_POSTS
    stored = demo_world.execute(
        sa.select(Account.display_name, sa.func.count(Post.id))
        .join(Post, Post.account_id == Account.id)
        .group_by(Account.display_name)
    ).all()
    assert {name for name, _ in stored} == SCANNED  # never the accounts without consent
    assert sum(n for _, n in stored) == SCANNED_POSTS
    assessed_posts = demo_world.scalar(sa.select(sa.func.count(sa.distinct(Assessment.post_id))))
    assert assessed_posts == SCANNED_POSTS
    flags = demo_world.scalars(sa.select(Flag).where(~Flag.is_sample)).all()
    assert flags, "the demo's clear violations must raise flags"
    run = demo_world.scalar(sa.select(ScanRun))
    assert (run.status, run.new_posts, run.flags_created) == ("success", SCANNED_POSTS, len(flags))
    assert run.run_key.startswith("nightly_scan/") and run.assessed >= SCANNED_POSTS

    # The clear violations are flagged more often than the benign posts.
    expected = expectations(demo_world)
    assert len(expected) == SCANNED_POSTS
    flagged = {f.post_id for f in flags}

    def flagged_share(kinds: tuple[str, ...]) -> float:
        posts = [pid for pid, expect in expected.items() if expect in kinds]
        return sum(pid in flagged for pid in posts) / len(posts)

    assert flagged_share(CATEGORIES) > flagged_share(("benign",))

    before = counts(engine)
    again = run_dag("nightly_scan", expect="success", logical_date=first.logical_date)
    assert counts(engine) == before  # same interval: same scan_run row, nothing new
    demo_world.expire_all()
    rerun = demo_world.scalar(sa.select(ScanRun))
    # the re-run added nothing to the interval's row: it keeps its first counts
    assert (rerun.run_key, rerun.new_posts, rerun.assessed, rerun.flags_created) == (
        run.run_key,
        SCANNED_POSTS,
        run.assessed,
        len(flags),
    )
    assert again.tasks["publish"] == ["skipped"]  # nothing assessed: no asset event
    assert asset_events() == events


def asset_events() -> list[dict]:
    """The extras of the impartial://assessments events Airflow recorded, oldest first."""
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session

    with create_session() as session:
        query = (
            sa.select(AssetEvent.extra)
            .join(AssetModel, AssetModel.id == AssetEvent.asset_id)
            .where(AssetModel.name == "impartial://assessments")
            .order_by(AssetEvent.id)
        )
        return list(session.scalars(query))


def expectations(session: Session) -> dict[int, str]:
    """Stored post id -> what the demo data expects of that post (matched by its text)."""
    stored = session.execute(sa.select(Post.id, Post.text)).all()
    found = {}
    for post in DEMO.posts:
        start = " ".join(post.text.split())[:40]
        for post_id, text in stored:
            if text and start in " ".join(text.split()):
                found[post_id] = post.expect
    return found


def test_a_host_that_is_down_fails_only_its_shard(
    engine: sa.Engine, demo_world: Session, run_dag, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMPARTIAL_HTTP_RETRIES", "0")
    monkeypatch.setenv("IMPARTIAL_HTTP_TIMEOUT_CONNECT_S", "1")
    get_settings.cache_clear()
    down = f"http://127.0.0.1:{closed_port()}"
    accounts.add_account(
        demo_world,
        accounts.AccountSpec(
            "mastodon", "@press@down.example", "official", org_unit="Communications", host=down
        ),
        actor="test",
    )
    demo_world.commit()

    result = run_dag("nightly_scan", expect="failed")
    get_settings.cache_clear()

    assert sorted(result.tasks["ingest_mastodon"]) == ["failed", "success"]
    assert set(result.tasks["ingest_bluesky"]) == set(result.tasks["ingest_rss"]) == {"success"}
    assert result.tasks["assess"] == result.tasks["queue"] == ["success"]
    assert result.tasks["summarize"] == ["failed"]  # the run is marked failed so someone looks
    stored = demo_world.scalar(sa.select(sa.func.count(Post.id)))
    assert stored == SCANNED_POSTS  # every healthy shard was fetched
    run = demo_world.scalar(sa.select(ScanRun))
    assert run.status == "partial"
    assert any("127.0.0.1" in host for host in run.errors)
    assert run.new_posts == SCANNED_POSTS
