"""One scan at a time: a second ``impartial scan`` (or a DAG step) while one runs exits with
code 3, or waits with ``--wait``; nothing is asked of the platforms twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from pipeline.clock import now
from pipeline.db.models import ScanRun
from pipeline.fakes import FakePlatforms
from pipeline.fakes.server import Request
from pipeline.jobs import nightly_scan, scan_lease
from tests.jobs.scan_processes import (
    Gate,
    finish,
    posts,
    process,
    publish,
    runs,
    scan_command,
    scan_env,
    until,
    workers,
)


def _asked(fake: FakePlatforms) -> list[tuple[str, tuple]]:
    asked: list[tuple[str, tuple]] = []

    def hook(request: Request) -> None:
        asked.append((request.path, tuple(sorted(request.query.items()))))

    fake.mastodon.hooks.append(hook)
    return asked


def test_a_second_scan_while_one_runs_exits_with_code_3_and_asks_nothing(
    db: Session, engine: sa.Engine
) -> None:
    with FakePlatforms() as fake:
        total = publish(fake, db)
        asked = _asked(fake)
        gate = Gate(after=3)
        fake.mastodon.hooks.append(gate)
        with process(scan_command("--ingest-only")) as first:
            gate.wait_held()
            before = len(asked)
            with process(scan_command("--ingest-only")) as second:
                code, out, err = finish(second)
            assert code == 3, out + err
            assert "a scan is running since" in err and "wait for it or stop it" in err
            assert "(run key cli/" in err and "Traceback" not in err
            assert len(asked) == before  # the second scan asked the platform nothing
            gate.open()
            code, out, err = finish(first)
        assert code == 0, out + err
    assert runs(engine) == [("cli", "success", total)]
    assert posts(engine) == (total, total)
    assert len(asked) == len(set(asked)), "a platform request was made twice"


def test_a_scan_told_to_wait_starts_when_the_running_one_ends(
    db: Session, engine: sa.Engine
) -> None:
    env = scan_env(IMPARTIAL_SCAN_LEASE_S="10")  # asks for the lease every second
    with FakePlatforms() as fake:
        total = publish(fake, db)
        gate = Gate(after=3)
        fake.mastodon.hooks.append(gate)
        with process(scan_command("--ingest-only"), env) as first:
            gate.wait_held()
            with process(scan_command("--ingest-only", "--wait"), env) as second:
                until(lambda: workers(engine) == 2, "the second scan asks for the lease")
                gate.open()
                first_code, first_out, _ = finish(first)
                code, out, err = finish(second)
    assert first_code == 0, first_out
    assert code == 0, out + err
    assert "waiting: a scan is running since" in out
    assert runs(engine) == [("cli", "success", total), ("cli", "success", 0)]
    assert posts(engine) == (total, total)


def test_a_dag_step_of_another_run_raises_while_a_scan_holds_the_lease(
    db: Session, engine: sa.Engine
) -> None:
    db.add(ScanRun(run_key="cli/earlier", trigger="cli", status="running", started_at=now()))
    db.commit()
    alive = scan_lease.held("cli/earlier", "cli")  # its process holds the run's lock
    with alive, pytest.raises(nightly_scan.ScanRunningError, match="run key cli/earlier"):
        nightly_scan.plan("nightly_scan/t1", trigger="airflow")
    assert [r[:2] for r in runs(engine)] == [("cli", "running")]


def test_an_airflow_run_between_tasks_keeps_the_lease_until_it_expires(
    db: Session, engine: sa.Engine
) -> None:
    fresh = ScanRun(
        run_key="nightly_scan/a", trigger="airflow", status="ingested", started_at=now()
    )
    fresh.heartbeat_at = now()
    db.add(fresh)
    db.commit()
    with pytest.raises(nightly_scan.ScanRunningError):
        nightly_scan.run_all(ingest_only=True)
    fresh.heartbeat_at = now() - timedelta(hours=1)  # no task renewed it: the run died
    db.commit()

    summary = nightly_scan.run_all(ingest_only=True)

    assert summary["status"] != "interrupted"
    assert [r[:2] for r in runs(engine)] == [
        ("airflow", "interrupted"),
        ("cli", summary["status"]),
    ]


def test_the_steps_of_one_dag_run_share_its_lease(db: Session, engine: sa.Engine) -> None:
    assert nightly_scan.plan("nightly_scan/t2", trigger="airflow") == []
    assert nightly_scan.plan("nightly_scan/t2", trigger="airflow") == []  # another platform
    queued = nightly_scan.enqueue("nightly_scan/t2")
    assert queued["run_key"] == "nightly_scan/t2"
    assert [r[:2] for r in runs(engine)] == [("airflow", "queued")]
