"""Scans that die or are stopped: killed during ingestion or assessment, or Ctrl-C. The run is
never recorded ``success``; the next scan marks it ``interrupted`` and completes; nothing is
lost or stored twice."""

from __future__ import annotations

import signal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pipeline.fakes import FakePlatforms
from pipeline.jobs import nightly_scan
from tests.factories import Factory
from tests.jobs.scan_processes import (
    Gate,
    finish,
    kill,
    posts,
    process,
    publish,
    runs,
    scan_command,
    until,
    workers,
)

# ``impartial scan`` whose assessment never ends (no model is loaded): it says when it starts
HANGING_ASSESSMENT = """
import threading
from pipeline.classify import assess, store
from pipeline.jobs import nightly_scan

def hang(*args, **kwargs):
    print("assessing", flush=True)
    threading.Event().wait()  # until killed (stdin may be at its end already under CI)

# the scan imports the classifier's modules when it reaches the assess stage
store.ensure_live_classifier = lambda session: None
assess.assess_pending = hang
nightly_scan.run_all()
"""


def test_a_scan_killed_during_ingest_is_marked_interrupted_by_the_next_which_completes(
    db: Session, engine: sa.Engine
) -> None:
    with FakePlatforms() as fake:
        total = publish(fake, db)
        gate = Gate(after=5)
        fake.mastodon.hooks.append(gate)
        with process(scan_command("--ingest-only")) as child:
            gate.wait_held()
            kill(child)
        gate.open()
        assert [r[:2] for r in runs(engine)] == [("cli", "running")]
        stored, _ = posts(engine)
        until(lambda: workers(engine) == 0, "the killed scan's connection is closed")

        summary = nightly_scan.run_all(ingest_only=True)

    assert summary["status"] == "success"
    assert runs(engine) == [("cli", "interrupted", 0), ("cli", "success", total - stored)]
    assert posts(engine) == (total, total)


def test_a_scan_killed_during_assessment_is_never_recorded_success(
    db: Session, engine: sa.Engine
) -> None:
    with FakePlatforms() as fake:
        total = publish(fake, db)
        with process(["-c", HANGING_ASSESSMENT]) as child:
            assert child.stdout.readline().strip() == "assessing"
            # the ingest stage ended and said so, with what it committed
            assert runs(engine) == [("cli", "ingested", total)]
            kill(child)
        until(lambda: workers(engine) == 0, "the killed scan's connection is closed")

        nightly_scan.run_all(ingest_only=True)

    assert runs(engine) == [("cli", "interrupted", total), ("cli", "success", 0)]
    assert posts(engine) == (total, total)


def test_ctrl_c_stops_fetching_at_once_keeps_what_it_stored_and_prints_the_summary(
    db: Session, engine: sa.Engine
) -> None:
    with FakePlatforms() as fake:
        total = publish(fake, db)
        gate = Gate(after=5)
        fake.mastodon.hooks.append(gate)
        with process(scan_command("--ingest-only")) as child:
            gate.wait_held()
            kill(child, signal.SIGINT)
            asked = gate.seen
            gate.open()
            code, out, err = finish(child)

    assert code == 130, out + err
    assert "Scan summary" in out and "scan run: interrupted" in out and "Traceback" not in err
    assert gate.seen - asked <= 1  # at most the request in flight when Ctrl-C came
    stored, distinct = posts(engine)
    assert 0 < stored == distinct < total
    assert runs(engine) == [("cli", "interrupted", stored)]


def test_flags_a_dead_run_left_ungrouped_are_grouped_by_the_next_run(
    make: Factory, engine: sa.Engine
) -> None:
    flag = make.flag()
    make.db.commit()
    assert flag.group_key is None

    nightly_scan.run_all(ingest_only=True)

    with engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT group_key FROM flag")) is not None
