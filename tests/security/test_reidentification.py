"""Re-identification through exports and reports: who handled a person's flags, one person's
counts behind a report cell, a withheld cell worked out from a total, second-precise windows."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from pipeline.audit import trail
from pipeline.cli import app
from pipeline.db.models import Flag
from pipeline.privacy import holds
from pipeline.reports import runner as reports
from pipeline.reports.suppression import PEOPLE_SUFFIX, PROTECTIONS
from tests.factories import NOW, World

cli = CliRunner()
PERIOD = {"date_from": NOW - timedelta(days=30), "date_to": NOW + timedelta(days=1)}


def test_an_access_export_names_no_reviewer_lead_or_operator(
    world: World, db: Session, tmp_path: Path
) -> None:
    ana = world.person("ana")
    world.consent(ana)
    flag = world.flag(world.post(world.account(ana), "Vote Purple."), closed=NOW)
    rev = world.user("rae.reviewer@example.org")
    lead = world.user("lou.lead@example.org", role="lead")
    other_lead = world.user("lin.lead@example.org", role="lead")
    world.review(flag, rev, "escalate", at=NOW - timedelta(hours=2))
    world.review(flag, lead, "refer", at=NOW, stage="lead")
    me = world.user("ana.login@example.org", role="employee", person=ana)
    for who, action in ((rev, "flag.view"), (other_lead, "identity.reveal"), (lead, "flag.view")):
        trail.record(
            db,
            action,
            actor=f"user:{who.email}",
            actor_user_id=who.id,
            subject_type="flag",
            subject_id=flag.id,
            person_id=ana.id,
            note=f"asked by {rev.email}",
        )
    trail.record(
        db, "employee.comment", actor=f"user:{me.id}", actor_user_id=me.id, person_id=ana.id
    )
    holds.place_hold(db, ana.email, reason="grievance", actor="cli:hr-operator")
    db.commit()
    out = tmp_path / "ana.json"

    result = cli.invoke(app, ["export", "person", ana.email, "--out", str(out)])

    assert result.exit_code == 0, result.output
    document = out.read_text()
    for name in ("rae.reviewer", "lou.lead", "lin.lead", "hr-operator"):
        assert name not in document, name
    data = json.loads(document)
    assert [d["reviewer"] for d in data["decisions"]] == ["reviewer 1", "lead 1"]
    actors = {e["action"]: e["actor"] for e in data["audit_events"] if e["subject_type"] == "flag"}
    # the same people keep the same pseudonym within the export; the second lead is "lead 2"
    assert actors["identity.reveal"] == "lead 2"
    assert {e["actor"] for e in data["audit_events"] if e["action"] == "flag.view"} == {
        "reviewer 1",
        "lead 1",
    }
    assert {e["details"]["note"] for e in data["audit_events"] if "note" in e["details"]} == {
        "asked by reviewer 1"
    }
    assert [e["actor"] for e in data["audit_events"] if e["action"] == "employee.comment"] == [
        "you"
    ]
    assert data["legal_holds"][0]["placed_by"].startswith("operator ")
    # nothing is lost: every decision and event is there, only the names are replaced
    assert [d["decision"] for d in data["decisions"]] == ["escalate", "refer"]
    assert "actor_user_id" not in data["audit_events"][0]


def _one_person_many_flags(world: World, db: Session) -> None:
    ana = world.account(world.person("ana", org_unit="Tiny Unit", band="executive"))
    for i in range(12):  # twelve flags, one person
        world.flag(world.post(ana, f"Post {i}", days_ago=3), "partisan")
    for i in range(6):  # a cell of six people
        person = world.person(f"p{i}", org_unit="Big Unit", band="staff")
        world.flag(world.post(world.account(person), f"Other {i}", days_ago=3), "vulgar")
    db.commit()


def test_a_cell_of_one_person_is_withheld_however_many_flags_it_holds(
    world: World, db: Session
) -> None:
    _one_person_many_flags(world, db)
    rows = {r["org_unit"]: r for r in reports.run_report("flags_by_org_unit", **PERIOD).records()}
    assert rows["Tiny Unit"]["flags"] == "<5" and rows["Tiny Unit"]["open"] == "<5"
    # the cell is withheld in the CSV and the chart as well: no 12 anywhere
    csv_text = reports.to_csv(reports.run_report("flags_by_org_unit", **PERIOD))
    assert "12" not in csv_text and "<5" in csv_text
    chart = reports.report_chart_data("flags_by_org_unit", **PERIOD)["chart"]
    assert 12 not in [v for s in chart["series"] for v in s["values"]]
    weekly = reports.run_report("flags_by_category_week", **PERIOD).records()
    assert {r["category"]: r["flags"] for r in weekly}["partisan"] == "<5"


def _withheld(value: object) -> bool:
    return isinstance(value, str) and value.startswith("<")


def test_a_total_never_gives_away_a_withheld_cell(world: World, db: Session) -> None:
    _one_person_many_flags(world, db)
    reviewer = world.user("r@example.org")
    for flag in db.scalars(select(Flag)):
        decision = "advise" if flag.category == "partisan" else "no_concern"
        world.review(flag, reviewer, decision, at=NOW)
    db.commit()
    report = reports.run_report("decision_mix", **PERIOD)
    records = report.records()
    parts = [r for r in records if r["category"] != "all"]
    total = next(r for r in records if r["category"] == "all")
    # partisan is one person: withheld; with it alone withheld, all - vulgar would give it
    assert _withheld(next(r for r in parts if r["category"] == "partisan")["decided"])
    for column in ("decided", "no_concern", "advise"):
        hidden = sum(_withheld(r[column]) for r in parts)
        assert hidden != 1, column  # (the total is known, here or from another report)
        assert not (_withheld(total[column]) and hidden == 0), column
    for row in records:  # decided = no_concern + advise + ...: never one part alone withheld
        pieces = [row[c] for c in ("no_concern", "advise", "escalate", "refer", "reopen")]
        assert sum(map(_withheld, pieces)) + _withheld(row["decided"]) != 1, row
    # a percentage computed from a withheld count is withheld with it
    assert all(_withheld(r["no_concern_pct"]) for r in records if _withheld(r["no_concern"]))


def test_every_report_is_protected_or_says_why_not(world: World, db: Session) -> None:
    _one_person_many_flags(world, db)
    for info in reports.list_reports():
        assert info.name in PROTECTIONS, f"{info.name}: no small-cell protection declared"
        report = reports.run_report(info.name, **PERIOD)
        assert not any(c.endswith(PEOPLE_SUFFIX) for c in report.columns), info.name
        sql = info.path.read_text()
        assert (PROTECTIONS[info.name] is None) == (PEOPLE_SUFFIX not in sql), info.name


def test_report_windows_are_whole_days(world: World, db: Session, browser, make) -> None:
    _one_person_many_flags(world, db)
    precise = reports.run_report(
        "flags_by_org_unit",
        date_from=datetime(2026, 10, 20, 13, 14, 15, tzinfo=UTC),
        date_to=datetime(2026, 11, 1, 9, 8, 7, tzinfo=UTC),
    )
    a_second_later = reports.run_report(
        "flags_by_org_unit",
        date_from=datetime(2026, 10, 20, 13, 14, 16, tzinfo=UTC),
        date_to=datetime(2026, 11, 1, 9, 8, 8, tzinfo=UTC),
    )
    assert precise.date_from == datetime(2026, 10, 20, tzinfo=UTC)
    assert precise.date_to == datetime(2026, 11, 1, tzinfo=UTC)
    assert precise.as_dict() == a_second_later.as_dict()
    assert (precise.as_dict()["first_day"], precise.as_dict()["last_day"]) == (
        "2026-10-20",
        "2026-10-31",
    )
    auditor = make.user("auditor")
    db.commit()
    client = browser()
    client.login(auditor.email)
    data = client.client.get(
        "/api/reports/flags_by_org_unit?from=2026-10-20T13:14:15&to=2026-10-31T09:08:07"
    ).json()
    assert (data["date_from"], data["date_to"]) == (
        "2026-10-20T00:00:00+00:00",
        "2026-11-01T00:00:00+00:00",
    )
    page = client.client.get("/reports/flags_by_org_unit?from=2026-10-20T13:14:15&to=2026-10-31")
    assert "Covers the whole days 2026-10-20 to 2026-10-31 (UTC)" in page.text


def test_a_far_future_report_day_is_refused_clearly(browser, make, db: Session) -> None:
    auditor = make.user("auditor")
    db.commit()
    client = browser()
    client.login(auditor.email)
    for query in ("to=9999-12-31", "to=10000-01-01", "from=9999-12-31", "to=0001-01-01"):
        for path in ("/reports/scan_runs", "/api/reports/scan_runs", "/reports/scan_runs.csv"):
            response = client.client.get(f"{path}?{query}")
            assert response.status_code == 400, (path, query, response.status_code)
    result = cli.invoke(app, ["report", "scan_runs", "--to", "9999-12-31"])
    assert result.exit_code == 2 and "too far in the future" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
