"""``impartial scan`` runs the nightly DAG's own steps: for the same data, the shell and Airflow
write the same ``scan_run`` row (only who triggered it, its key and its times differ)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.db.models import ScanRun

pytestmark = pytest.mark.model  # the assess step loads the real sentence-transformers model

SAME = ("status", "accounts", "requests", "new_posts", "edits", "assessed", "flags_created")
# what a scan writes; the registry (people, accounts, consents) stays
SCAN_OUTPUT = "post, assessment, flag, review, embedding, source_cursor, scan_run"


def the_row(session: Session) -> dict:
    session.expire_all()
    run = session.scalars(sa.select(ScanRun)).one()
    row = {
        "trigger": run.trigger,
        **{key: getattr(run, key) for key in SAME},
        "skipped": run.skipped,
        "errors": run.errors,
        "failures": run.failures,
    }
    session.rollback()  # end the read: the scan's tables are emptied next
    return row


def test_impartial_scan_and_the_dag_write_the_same_scan_run_row(
    engine: sa.Engine, demo_world: Session, run_dag
) -> None:
    result = CliRunner().invoke(app, ["scan"])
    assert result.exit_code == 0, result.output
    from_shell = the_row(demo_world)
    with engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {SCAN_OUTPUT} RESTART IDENTITY CASCADE"))

    run_dag("nightly_scan", expect="success")
    from_airflow = the_row(demo_world)

    assert (from_shell.pop("trigger"), from_airflow.pop("trigger")) == ("cli", "airflow")
    assert from_shell == from_airflow
    assert from_shell["status"] == "success" and from_shell["new_posts"] > 0
    assert from_shell["flags_created"] > 0
