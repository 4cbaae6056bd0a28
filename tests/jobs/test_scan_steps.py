"""pipeline.scan's own logic: the scan_run row per data interval and a shard's failure rule."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pipeline.db.models import ScanRun
from pipeline.jobs import nightly_scan as scan

SHARDS = [
    [{"platform": "mastodon", "host": "https://a.example", "account_ids": [1, 2]}],
    [{"platform": "bluesky", "host": "https://b.example", "account_ids": [3]}],
    [],
]


def result(platform: str, host: str, **counts: object) -> dict:
    return {
        "platform": platform,
        "host": host,
        "accounts": 1,
        "requests": 2,
        "new_posts": 3,
        "edits": 0,
        "skipped": {},
        "errors": {},
        **counts,
    }


def test_summary_adds_up_the_shards_and_records_success(db: Session) -> None:
    ingested = [
        [result("mastodon", "https://a.example", skipped={"opted_out": 1})],
        [result("bluesky", "https://b.example")],
        [],
    ]
    summary = scan.summarize(
        "nightly_scan/t1", SHARDS, ingested, {"assessed": 6, "flags_created": 2}, {"groups": 1}
    )
    row = db.scalar(sa.select(ScanRun).where(ScanRun.run_key == "nightly_scan/t1"))
    assert (row.status, row.accounts, row.requests, row.new_posts) == ("success", 2, 4, 6)
    assert (row.assessed, row.flags_created, row.skipped) == (6, 2, {"opted_out": 1})
    assert summary["failed_shards"] == [] and summary["shards"] == 2


def test_a_missing_shard_result_makes_the_run_partial_and_names_the_host(db: Session) -> None:
    ingested = [[result("mastodon", "https://a.example")], [None], []]
    summary = scan.summarize("nightly_scan/t2", SHARDS, ingested, {"assessed": 3}, {})
    row = db.scalar(sa.select(ScanRun).where(ScanRun.run_key == "nightly_scan/t2"))
    assert row.status == "partial"
    assert row.errors == {"b.example": 1}
    assert summary["failed_shards"] == ["bluesky https://b.example"]


def test_no_shard_fetched_is_a_failed_run(db: Session) -> None:
    assert scan.summarize("k", SHARDS, [[], [], []], {"assessed": 0}, {})["status"] == "failed"


def test_an_assessment_that_did_not_finish_makes_the_run_partial(db: Session) -> None:
    ingested = [[result("mastodon", "https://a.example")], [result("bluesky", "https://b.example")]]
    assert scan.summarize("k", SHARDS, ingested, None, None)["status"] == "partial"


def test_summarizing_an_interval_again_adds_to_its_row(db: Session) -> None:
    ingested = [[result("mastodon", "https://a.example")], [result("bluesky", "https://b.example")]]
    scan.summarize("nightly_scan/same", SHARDS, ingested, {"assessed": 6}, {})
    rerun = [
        [result("mastodon", "https://a.example", new_posts=1)],
        [result("bluesky", "https://b.example", new_posts=0)],
    ]
    again = scan.summarize("nightly_scan/same", SHARDS, rerun, {"assessed": 1}, {})
    rows = db.scalars(sa.select(ScanRun)).all()
    # a cleared interval keeps its first counts and adds the re-run's
    assert [(r.run_key, r.new_posts, r.assessed) for r in rows] == [("nightly_scan/same", 7, 7)]
    assert (again["new_posts"], again["assessed"]) == (1, 1)  # what this run did


def test_a_plan_task_without_a_result_is_not_a_successful_scan(db: Session) -> None:
    ingested = [[result("mastodon", "https://a.example")], []]
    planned = [SHARDS[0:1], None]  # the second platform's plan task failed
    assert scan.summarize("k", planned, ingested, {"assessed": 3}, {})["status"] == "partial"
    assert scan.summarize("k2", [None, None], [[], []], {"assessed": 0}, {})["status"] == "failed"


def test_a_shard_failed_only_when_every_account_failed_and_nothing_came() -> None:
    assert scan.shard_failed({"errors": {"a.example": 2}, "new_posts": 0, "edits": 0}, 2)
    assert not scan.shard_failed({"errors": {"a.example": 1}, "new_posts": 0, "edits": 0}, 2)
    assert not scan.shard_failed({"errors": {"a.example": 2}, "new_posts": 4, "edits": 0}, 2)
    assert not scan.shard_failed({"errors": {}, "new_posts": 0, "edits": 0}, 2)
    assert not scan.shard_failed({"errors": {}, "new_posts": 0}, 0)
