"""Compliance reports: every report runs on an empty and on a populated database."""

from __future__ import annotations

import csv
import io
import json
import math
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.config import get_settings
from pipeline.db.models import ScanRun
from pipeline.reports import runner as reports
from tests.factories import NOW, World

runner = CliRunner()
NAMES = [r.name for r in reports.list_reports()]
PERIOD = {"date_from": NOW - timedelta(days=60), "date_to": NOW + timedelta(days=1)}


def unsuppressed() -> dict:
    """The period with small-cell suppression off (a minimum of one person): the arithmetic."""
    return {**PERIOD, "settings": get_settings().model_copy(update={"report_min_cell": 1})}


def populate(world: World) -> None:
    ana = world.person("ana", org_unit="Policy Branch", band="staff")
    dan = world.person("dan", org_unit="Comms", band="executive")
    policy = world.account(ana)
    comms = world.account(dan)
    official = world.account(kind="official", org_unit="Comms")
    r1 = world.user("r1@example.org")
    r2 = world.user("r2@example.org")
    lead = world.user("lead@example.org", role="lead")
    for i in range(6):  # six flags in one cell: shown as a number
        post = world.post(policy, f"Partisan post {i}", days_ago=10 + i)
        flag = world.flag(
            post,
            assessment=world.assessment(post),
            group=f"g{i % 2}",
            closed=post.published_at + timedelta(hours=10 * (i + 1)),
        )
        world.review(
            flag,
            r1,
            "no_concern" if i < 4 else "advise",
            at=post.published_at + timedelta(hours=10 * (i + 1)),
        )
        # the second reviewer saw group g0 (agrees) and g1 (disagrees)
        if i < 2:
            world.review(
                flag,
                r2,
                "no_concern" if i == 0 else "escalate",
                at=post.published_at + timedelta(hours=30),
            )
    for i in range(2):  # two flags in another cell: suppressed
        post = world.post(comms, f"Vulgar post {i}", days_ago=3)
        world.flag(post, "vulgar", created=NOW - timedelta(days=3))
    referred = world.flag(
        world.post(comms, "Escalated one", days_ago=2), "self_serving", closed=NOW
    )
    world.review(referred, r1, "escalate", at=NOW - timedelta(days=1))
    world.review(referred, lead, "refer", at=NOW, stage="lead")
    waiting = world.flag(
        world.post(comms, "Escalated two", days_ago=2),
        "self_serving",
        closed=NOW - timedelta(days=1),
    )
    world.review(waiting, r1, "escalate", at=NOW - timedelta(days=1))
    for i in range(20):  # quality samples: 2 misses among 20 reviewed
        post = world.post(official, f"Official notice {i}", days_ago=5, lang="en")
        sample = world.flag(post, "none", sample=True, closed=NOW)
        world.review(sample, r2, "advise" if i < 2 else "no_concern", at=NOW)
    world.flag(world.post(official, "Avis officiel", days_ago=4, lang="fr"), "official_languages")
    world.db.add(
        ScanRun(
            trigger="dag",
            status="partial",
            started_at=NOW - timedelta(days=1),
            finished_at=NOW - timedelta(days=1) + timedelta(seconds=42),
            accounts=3,
            requests=9,
            new_posts=30,
            errors={"h1": 2, "h2": 1},
        )
    )
    world.db.commit()


@pytest.mark.parametrize("name", NAMES)
def test_report_runs_on_an_empty_database(name: str, engine) -> None:
    result = reports.run_report(name)
    assert result.columns
    assert all(row[0] in ("all", None) or name == "classifier_versions" for row in result.rows)
    assert json.dumps(result.as_dict())


@pytest.mark.parametrize("name", NAMES)
def test_report_runs_on_a_populated_database(name: str, world: World, db: Session) -> None:
    populate(world)
    result = reports.run_report(name, **PERIOD)
    assert result.rows, f"{name} returned no rows"
    chart = reports.report_chart_data(name, **PERIOD)
    assert json.dumps(chart) and chart["rows"] == result.as_dict()["rows"]


def test_there_are_all_the_required_reports() -> None:
    assert set(NAMES) >= {
        "flags_by_category_week",
        "flags_by_org_unit",
        "queue_backlog",
        "time_to_decision",
        "decision_mix",
        "reviewer_workload",
        "classifier_versions",
        "miss_rate",
        "scan_runs",
        "official_languages",
    }


def test_small_cells_are_suppressed_by_people(world: World, db: Session) -> None:
    for i in range(5):  # five people of one cell, one flag each: shown as a number
        person = world.person(f"staffer{i}", org_unit="Research", band="staff")
        world.flag(world.post(world.account(person), f"Post {i}", days_ago=3), "partisan")
    ana = world.account(world.person("ana", org_unit="Policy Branch", band="staff"))
    for i in range(6):  # six flags, but all of one person
        world.flag(world.post(ana, f"Partisan post {i}", days_ago=4), "partisan")
    lee = world.account(world.person("lee", org_unit="Legal", band="staff"))
    world.flag(world.post(lee, "One post", days_ago=4), "partisan")
    world.flag(world.post(world.account(kind="official", org_unit="Comms"), "Notice"), "vulgar")
    db.commit()
    rows = {
        (r["org_unit"], r["seniority_band"]): r
        for r in reports.run_report("flags_by_org_unit", **PERIOD).records()
    }
    assert rows[("Research", "staff")]["flags"] == 5
    assert rows[("Policy Branch", "staff")]["flags"] == "<5"
    assert rows[("Legal", "staff")]["flags"] == "<5"
    # official accounts are organisations: their counts are shown
    assert rows[("Comms", "official account")]["flags"] == 1


def test_miss_rate_has_a_wilson_interval(world: World, db: Session) -> None:
    populate(world)
    row = {
        r["account_kind"]: r for r in reports.run_report("miss_rate", **unsuppressed()).records()
    }
    total = row["all"]
    assert (total["samples"], total["reviewed"], total["misses"]) == (20, 20, 2)
    p, n, z = 0.1, 20, 1.96
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert float(total["ci_low_pct"]) == pytest.approx(100 * (centre - half), abs=0.01)
    assert float(total["ci_high_pct"]) == pytest.approx(100 * (centre + half), abs=0.01)


def test_reviewer_agreement_counts_groups_two_reviewers_saw(world: World, db: Session) -> None:
    populate(world)
    rows = {
        r["reviewer"]: r
        for r in reports.run_report("reviewer_workload", **unsuppressed()).records()
    }
    assert rows["r2@example.org"]["shared_groups"] == 2
    assert float(rows["r2@example.org"]["agreement_pct"]) == 50.0
    assert rows["lead@example.org"]["lead_reviews"] == 1


def test_time_to_decision_and_decision_mix(world: World, db: Session) -> None:
    populate(world)
    ttd = {
        r["category"]: r for r in reports.run_report("time_to_decision", **unsuppressed()).records()
    }
    assert ttd["partisan"]["decided"] == 6
    assert float(ttd["partisan"]["median_h"]) == 35.0  # 10..60 hours
    assert ttd["partisan"]["sla_breaches"] == 0
    assert ttd["vulgar"]["open_past_sla"] == 2
    mix = {r["category"]: r for r in reports.run_report("decision_mix", **unsuppressed()).records()}
    assert mix["self_serving"]["refer"] == 1 and "none" not in mix
    backlog = {
        r["category"]: r for r in reports.run_report("queue_backlog", **unsuppressed()).records()
    }
    assert backlog["all"]["open"] == 3  # 2 vulgar, 1 official_languages
    assert backlog["self_serving"]["awaiting_lead"] == 1 and backlog["all"]["awaiting_lead"] == 2
    assert backlog["vulgar"]["d3_7"] == 2


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_report_cli_formats(fmt: str, world: World, db: Session) -> None:
    populate(world)
    result = runner.invoke(
        app, ["report", "scan_runs", "--from", "2026-10-01", "--to", "2026-11-01", "--format", fmt]
    )
    assert result.exit_code == 0, result.output
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(result.stdout)))
        assert rows[0]["errors"] == "3" and rows[0]["requests"] == "9"
    elif fmt == "json":
        assert json.loads(result.stdout)["rows"][0][1].startswith("2026-10-31")
    else:
        assert "Scan runs in the period" in result.output


def test_report_cli_lists_reports_and_rejects_unknown_names(engine) -> None:
    listed = runner.invoke(app, ["report"])
    unknown = runner.invoke(app, ["report", "nope"])
    assert "flags_by_org_unit" in listed.output
    assert unknown.exit_code == 2 and "no report 'nope'" in unknown.output


def test_reports_are_read_only(engine) -> None:
    with engine.connect() as conn:
        before = conn.execute(text("SELECT count(*) FROM audit_event")).scalar()
    reports.run_report("queue_backlog")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_event")).scalar() == before


def test_write_reports_writes_one_csv_per_report(world: World, db: Session, tmp_path) -> None:
    populate(world)
    written = reports.write_reports(tmp_path / "out", **PERIOD)
    assert set(written) == set(NAMES)
    rows = list(csv.DictReader(written["decision_mix"].open()))
    assert {r["category"] for r in rows} >= {"partisan", "all"}
