"""``impartial audit search``: the same audited search as the auditor's page and the API."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from pipeline.audit.trail import record
from pipeline.cli import app
from pipeline.db.models import AuditEvent

runner = CliRunner()


def test_a_search_from_the_shell_is_shown_and_audited(db: Session) -> None:
    record(db, "auth.login", actor="user:ana@example.org")
    record(db, "flag.view", actor="user:ana@example.org", subject_type="flag", subject_id=7)
    db.commit()

    result = runner.invoke(app, ["audit", "search", "--action", "flag."])

    assert result.exit_code == 0, result.output
    assert "flag.view" in result.output and "auth.login" not in result.output
    assert "1 event(s)" in result.output
    last = db.scalars(sa.select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (last.action, last.details) == ("audit.search", {"results": 1})
    assert last.actor.startswith("cli:")


def test_a_csv_export_from_the_shell_is_audited_as_an_export(db: Session) -> None:
    record(db, "auth.login", actor="user:ana@example.org")
    db.commit()

    result = runner.invoke(app, ["audit", "search", "--csv"])

    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["action"] for r in rows] == ["auth.login"]
    last = db.scalars(sa.select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (last.action, last.details) == ("audit.export", {"rows": 1})


def test_a_bad_date_is_refused_and_nothing_is_recorded(db: Session) -> None:
    result = runner.invoke(app, ["audit", "search", "--from", "yesterday"])

    assert result.exit_code == 2 and "--from" in result.output
    assert db.scalar(sa.select(sa.func.count(AuditEvent.id))) == 0


def test_the_to_day_is_included_from_the_shell_as_on_the_page(db: Session) -> None:
    db.add(AuditEvent(at=datetime(2026, 11, 30, 23, 0, tzinfo=UTC), actor="cli:x", action="a.b"))
    db.add(AuditEvent(at=datetime(2026, 12, 1, 0, 0, tzinfo=UTC), actor="cli:y", action="a.b"))
    db.commit()

    result = runner.invoke(app, ["audit", "search", "--to", "2026-11-30", "--csv"])
    refused = runner.invoke(app, ["audit", "search", "--to", "30/11"])

    assert [r["actor"] for r in csv.DictReader(io.StringIO(result.stdout))] == ["cli:x"]
    assert refused.exit_code == 2 and "--to" in refused.output
