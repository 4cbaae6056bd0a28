"""The nightly scan on the CeleryExecutor, on one machine: ``impartial airflow up --executor
celery`` (Redis on a free loopback port, two Celery workers), a run triggered through the REST
API without a logical date, on the demo's fake platforms.

Each worker runs one task at a time, and the assess stage is cut into two partitions, queued
together once the posts are in: while one worker holds a partition, the other must take the
second, so every first run puts tasks on both workers. The stack starts once for this module;
the last test stops it and looks for what is left.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.db.models import Assessment, Post, ScanRun
from pipeline.demo import dataset
from pipeline.jobs import airflow_stack
from tests.jobs.real_airflow import WIDE, counts, family, started, still_running, trigger

pytestmark = [pytest.mark.airflow, pytest.mark.model]  # the assess tasks load the real model

DEMO = dataset.load()
SCANNED_POSTS = sum(len(a.posts) for a in DEMO.scanned_accounts())
WORKERS = ("worker1", "worker2")


@pytest.fixture(scope="module")
def stack(admin_database_url: str, database_url: str) -> Iterator[airflow_stack.Stack]:
    partitions = {"IMPARTIAL_ASSESS_PARTITIONS": "2", "IMPARTIAL_ASSESS_PARTITION_MIN_POSTS": "1"}
    with started(
        admin_database_url,
        partitions,
        executor="CeleryExecutor",
        workers=len(WORKERS),
        worker_concurrency=1,
        schedule=False,
    ) as running:
        yield running


def worker(hostname: str) -> str:
    """``worker1`` from the host name a task instance records (``worker1@HOST``)."""
    name, _, host = hostname.partition("@")
    assert host, f"not a worker's host name: {hostname!r}"
    return name


def test_the_nightly_scan_runs_on_both_celery_workers_and_a_second_run_adds_nothing(
    stack: airflow_stack.Stack, engine: sa.Engine, demo_world: Session
) -> None:
    first, _ = trigger(stack, "nightly_scan")

    assert first.state == "success", first.tasks
    mapped = [f"ingest_{p}" for p in ("mastodon", "bluesky", "rss")] + ["assess"]
    for task_id in mapped:
        assert first.tasks[task_id] and set(first.tasks[task_id]) == {"success"}, first.tasks
    assert len(first.tasks["assess"]) == 2
    ran_on = {task_id: [worker(h) for h in first.hostnames[task_id]] for task_id in mapped}
    assert {name for names in ran_on.values() for name in names} == set(WORKERS), ran_on
    assert sorted(ran_on["assess"]) == list(WORKERS), ran_on  # the two partitions at once
    stored = demo_world.scalar(sa.select(sa.func.count(Post.id)))
    assessed = demo_world.scalar(sa.select(sa.func.count(sa.distinct(Assessment.post_id))))
    assert stored == assessed == SCANNED_POSTS
    assert demo_world.scalar(sa.select(sa.func.count(Assessment.id))) == SCANNED_POSTS
    demo_world.rollback()

    before = counts(engine)
    second, _ = trigger(stack, "nightly_scan")
    assert second.state == "success", second.tasks
    assert counts(engine) == before
    runs = demo_world.scalars(sa.select(ScanRun).order_by(ScanRun.id)).all()
    assert [(r.status, r.new_posts) for r in runs] == [("success", SCANNED_POSTS), ("success", 0)]


def test_down_stops_redis_and_the_workers_and_leaves_nothing_behind(
    stack: airflow_stack.Stack,
) -> None:
    assert set(stack.processes) == {*airflow_stack.SERVICES, "redis", *WORKERS}
    redis = stack.processes["redis"].command
    port = int(redis[redis.index("--port") + 1])
    assert redis[redis.index("--bind") + 1] == "127.0.0.1"
    socket.create_connection(("127.0.0.1", port), timeout=5).close()
    status = CliRunner().invoke(app, ["airflow", "status"], env=WIDE)
    assert status.exit_code == 0, status.output
    for name in ("redis", *WORKERS):
        assert re.search(rf"{name}\s.*\byes\b", status.output), status.output
    assert "(CeleryExecutor)" in status.output
    processes = family(stack)
    assert len(processes) > len(stack.processes)  # the workers' pool processes, among others

    stopped = airflow_stack.down(stack.home)

    assert stopped == sorted(stack.processes)
    assert still_running(processes) == []
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    assert not (stack.home / airflow_stack.STATE).exists()
