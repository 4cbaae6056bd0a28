"""Every view and export of a report is audited in one place, whichever entry point asks:
the name, period and row count are recorded, never the cells."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.db.models import AuditEvent
from pipeline.reports.audited import export_report, view_report
from pipeline.reports.runner import csv_filename, to_csv
from tests.factories import NOW


def last_event(db: Session) -> AuditEvent:
    db.expire_all()
    return db.scalars(sa.select(AuditEvent).order_by(AuditEvent.id.desc())).first()


def test_viewing_a_report_records_its_name_period_and_size(db: Session) -> None:
    data = view_report(
        db,
        "scan_runs",
        actor="user:lead@example.org",
        date_from=NOW - timedelta(days=30),
        date_to=NOW,
    )
    db.commit()

    event = last_event(db)
    assert (event.action, event.actor, event.subject_type, event.subject_id) == (
        "report.view",
        "user:lead@example.org",
        "report",
        "scan_runs",
    )
    assert event.details["rows"] == len(data["rows"]) == 0
    assert event.details["date_from"].startswith("2026-10-02")
    assert "chart" in data


def test_exporting_a_report_records_an_export_and_gives_its_csv(db: Session) -> None:
    report = export_report(db, "queue_backlog", actor="job:test")
    db.commit()

    assert last_event(db).action == "report.export"
    assert to_csv(report).splitlines()[0].split(",") == report.columns
    assert csv_filename(report).startswith("queue_backlog_")


def test_the_cli_audits_a_table_as_a_view_and_csv_as_an_export(db: Session) -> None:
    runner = CliRunner()

    table = runner.invoke(app, ["report", "decision_mix"])
    assert table.exit_code == 0, table.output
    assert (last_event(db).action, last_event(db).subject_id) == ("report.view", "decision_mix")

    exported = runner.invoke(app, ["report", "decision_mix", "--format", "csv"])
    assert exported.exit_code == 0, exported.output
    event = last_event(db)
    assert event.action == "report.export" and event.actor.startswith("cli:")


def test_an_unknown_report_is_refused_and_not_audited(db: Session) -> None:
    result = CliRunner().invoke(app, ["report", "nope"])

    assert result.exit_code == 2 and "no report 'nope'" in result.output
    assert db.scalar(sa.select(sa.func.count(AuditEvent.id))) == 0
