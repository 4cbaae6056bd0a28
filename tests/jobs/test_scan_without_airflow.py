"""``pipeline.jobs.nightly_scan.run_all``: the DAG's steps in one process (what ``impartial scan`` runs)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from pipeline.db.models import Post, ScanRun
from pipeline.demo import dataset, platforms, seed
from pipeline.jobs import nightly_scan

pytestmark = pytest.mark.model  # the assess step loads the real sentence-transformers model

DEMO = dataset.load()
SCANNED_POSTS = sum(len(a.posts) for a in DEMO.scanned_accounts())


def test_run_all_scans_every_shard_and_records_one_run_each_time(db: Session) -> None:
    messages: list[str] = []
    with platforms.serve(DEMO) as addresses:
        seed.seed(db, DEMO, addresses)
        db.commit()
        first = nightly_scan.run_all(log=messages.append)
        second = nightly_scan.run_all()

    assert (first["status"], first["new_posts"], first["failed_shards"]) == (
        "success",
        SCANNED_POSTS,
        [],
    )
    assert first["assessed"] >= SCANNED_POSTS
    assert (second["status"], second["new_posts"], second["assessed"]) == ("success", 0, 0)
    assert db.scalar(sa.select(sa.func.count(Post.id))) == SCANNED_POSTS
    runs = db.scalars(sa.select(ScanRun).order_by(ScanRun.id)).all()
    assert [(r.trigger, r.status) for r in runs] == [("cli", "success"), ("cli", "success")]
    assert any("shard(s) to fetch" in m for m in messages)
