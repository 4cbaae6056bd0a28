"""The DAGs on a real Airflow: ``impartial airflow up`` (api-server, scheduler, dag-processor,
triggerer; LocalExecutor; the metadata database in the test server), runs triggered through the
REST API without a logical date, as an operator does, on the demo's fake platforms.

The stack starts once for this module; the last test stops it and looks for what is left.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.config import get_settings
from pipeline.db.models import Assessment, Flag, Post, ScanRun
from pipeline.demo import dataset
from pipeline.jobs import airflow_stack
from tests.jobs.real_airflow import WIDE, counts, family, started, still_running, trigger

pytestmark = [pytest.mark.airflow, pytest.mark.model]  # the assess task loads the real model

DEMO = dataset.load()
SCANNED_POSTS = sum(len(a.posts) for a in DEMO.scanned_accounts())


@pytest.fixture(scope="module")
def stack(admin_database_url: str, database_url: str) -> Iterator[airflow_stack.Stack]:
    """A real Airflow for this module, its metadata in a database of its own on the test
    server; stopped (and the database dropped) at the end."""
    with started(admin_database_url, schedule=False) as running:
        yield running


def test_a_triggered_nightly_scan_stores_assesses_and_queues_and_a_second_adds_nothing(
    stack: airflow_stack.Stack, engine: sa.Engine, demo_world: Session
) -> None:
    first, output = trigger(stack, "nightly_scan")

    assert first.state == "success", first.tasks
    assert "nightly_scan: success" in output
    for platform in ("mastodon", "bluesky", "rss"):
        states = first.tasks[f"ingest_{platform}"]
        assert states and set(states) == {"success"}, (platform, first.tasks)
    assert set(first.tasks["summarize"]) == {"success"}
    stored = demo_world.scalar(sa.select(sa.func.count(Post.id)))
    assessed = demo_world.scalar(sa.select(sa.func.count(sa.distinct(Assessment.post_id))))
    assert stored == assessed == SCANNED_POSTS
    flags = demo_world.scalar(sa.select(sa.func.count(Flag.id)).where(~Flag.is_sample))
    assert flags > 0, "the demo's clear violations must raise flags"
    run = demo_world.scalars(sa.select(ScanRun)).one()
    assert (run.status, run.new_posts, run.trigger) == ("success", SCANNED_POSTS, "airflow")
    demo_world.rollback()

    before = counts(engine)
    second, _ = trigger(stack, "nightly_scan")
    assert second.state == "success", second.tasks
    assert counts(engine) == before
    runs = demo_world.scalars(sa.select(ScanRun).order_by(ScanRun.id)).all()
    assert [r.new_posts for r in runs] == [SCANNED_POSTS, 0]


def test_triggered_retention_and_compliance_report_runs_succeed(
    stack: airflow_stack.Stack, engine: sa.Engine
) -> None:
    retention, _ = trigger(stack, "retention")
    assert (retention.state, retention.tasks) == ("success", {"run_retention": ["success"]})

    report, _ = trigger(stack, "compliance_report")
    assert report.state == "success", report.tasks
    written = list((get_settings().data_dir / "reports").glob("*/*.json"))
    assert written and all(json.loads(path.read_text()) for path in written)


def test_status_shows_every_process_and_down_leaves_none_behind(
    stack: airflow_stack.Stack,
) -> None:
    status = CliRunner().invoke(app, ["airflow", "status"], env=WIDE)
    assert status.exit_code == 0, status.output
    for name in airflow_stack.SERVICES:
        assert re.search(rf"{name}\s.*\byes\b", status.output), status.output
    assert stack.url in status.output and stack.password() in status.output

    processes = family(stack)
    assert len(processes) > len(stack.processes)  # the API server's worker, the executor's...

    down = CliRunner().invoke(app, ["airflow", "down"])
    assert down.exit_code == 0, down.output
    assert "stopped: api-server, dag-processor, scheduler, triggerer" in down.output
    assert still_running(processes) == []
    home = Path(airflow_stack.home())
    assert not (home / airflow_stack.STATE).exists()
    again = CliRunner().invoke(app, ["airflow", "status"])
    assert again.exit_code == 1 and "not running" in again.output
