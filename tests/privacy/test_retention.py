"""The retention run: what goes when, legal holds, and dry runs that change nothing."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.privacy import holds, retention
from tests.factories import NOW, World

runner = CliRunner()
TABLES = ("post", "embedding", "assessment", "flag", "review", "employee_response", "consent")


def snapshot(db: Session) -> dict[str, str]:
    """Every row of the tables retention touches, hashed per table."""
    return {
        t: db.scalar(
            sa.text(
                f"SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM {t} x"
            )
        )
        for t in TABLES
    }


def build(world: World) -> dict:
    ana = world.person("ana")
    account = world.account(ana)
    world.consent(ana)
    reviewer = world.user("rev@example.org")
    rows: dict = {"ana": ana, "account": account}
    old = world.post(account, "Old holiday photos.", days_ago=40)
    world.assessment(old)
    world.embedding(old.content_hash)
    rows["old"] = old
    rows["recent"] = world.post(account, "Recent bike ride.", days_ago=5)

    def decided(text: str, decision: str, days_ago: int):
        post = world.post(account, text, days_ago=days_ago + 1)
        flag = world.flag(post, closed=NOW - timedelta(days=days_ago))
        world.review(flag, reviewer, decision, at=NOW - timedelta(days=days_ago))
        return flag

    rows["nc_old"] = decided("Party rally tonight", "no_concern", 100)
    rows["nc_new"] = decided("Party rally tomorrow", "no_concern", 10)
    rows["adv_old"] = decided("Vote them out", "advise", 800)
    rows["adv_new"] = decided("Vote them in", "advise", 300)
    rows["ref_old"] = decided("Buy my book, says the deputy", "refer", 900)
    # an expired consent: purged like a withdrawal
    eve = world.person("eve")
    expired = world.account(eve)
    world.consent(eve, days_ago=400, expires_in=-5)
    world.post(expired, "Eve's post", days_ago=3)
    rows["expired"] = expired
    # a person under hold: nothing of theirs goes
    hal = world.person("hal")
    held = world.account(hal)
    world.post(held, "Hal's old post", days_ago=90)
    holds.place_hold(
        world.db, hal.email, reason="litigation", actor="test", at=NOW - timedelta(days=1)
    )
    rows["held"] = held
    world.db.commit()
    return rows


def flag_ids(db: Session) -> set[int]:
    return set(db.scalars(sa.text("SELECT id FROM flag")))


def test_retention_applies_each_rule(world: World, db: Session) -> None:
    rows = build(world)

    result = retention.run_retention(db, at=NOW)
    db.commit()

    assert result["no_concern_flags"] == 1 and result["decided_flags"] == 2
    assert flag_ids(db) == {rows["nc_new"].id, rows["adv_new"].id}
    old = db.execute(
        sa.text("SELECT text, parts, content_hash FROM post WHERE id = :i"), {"i": rows["old"].id}
    ).one()
    assert old.text is None and old.parts == {}  # the parts hold the text too
    assert old.content_hash == rows["old"].content_hash
    assert db.scalar(sa.text("SELECT count(*) FROM assessment")) == 1  # scores kept
    assert db.scalar(sa.text("SELECT count(*) FROM embedding")) == 0
    assert (
        db.scalar(sa.text("SELECT text FROM post WHERE id = :i"), {"i": rows["recent"].id})
        == "Recent bike ride."
    )
    # purged flags' posts are never-flagged posts now, and older than 30 days
    assert result["unflagged_texts"] == 4
    assert result["consent_purge"]["accounts"] == 1
    assert result["consent_purge"]["held_accounts"] == 1
    assert (
        db.scalar(
            sa.text("SELECT count(*) FROM post WHERE account_id = :a"), {"a": rows["expired"].id}
        )
        == 0
    )
    assert (
        db.scalar(sa.text("SELECT text FROM post WHERE account_id = :a"), {"a": rows["held"].id})
        == "Hal's old post"
    )
    assert (
        db.scalar(
            sa.text(
                "SELECT details->>'decided_flags' FROM audit_event WHERE action = 'retention.run'"
            )
        )
        == "2"
    )


def test_legal_hold_suspends_retention_of_flags_and_text(world: World, db: Session) -> None:
    rows = build(world)
    holds.place_hold(
        db, rows["ana"].email, reason="inquiry", actor="test", at=NOW - timedelta(days=1)
    )
    db.commit()
    before = flag_ids(db)

    result = retention.run_retention(db, at=NOW)
    db.commit()

    assert flag_ids(db) == before
    assert result["no_concern_flags"] == result["decided_flags"] == 0
    assert result["unflagged_texts"] == 0 and result["held_persons"] == 2
    assert (
        db.scalar(sa.text("SELECT text FROM post WHERE id = :i"), {"i": rows["old"].id})
        == "Old holiday photos."
    )


def test_dry_run_reports_exactly_what_would_go_and_changes_nothing(
    world: World, db: Session
) -> None:
    build(world)
    before = snapshot(db)
    audit_before = db.scalar(sa.text("SELECT count(*) FROM audit_event"))

    dry = retention.run_retention(db, at=NOW, dry_run=True)
    db.commit()

    assert snapshot(db) == before
    assert db.scalar(sa.text("SELECT count(*) FROM audit_event")) == audit_before
    real = retention.run_retention(db, at=NOW)
    assert {k: v for k, v in dry.items() if k != "dry_run"} == {
        k: v for k, v in real.items() if k != "dry_run"
    }
    assert dry["decided_flags"] == 2


def test_retention_cli_dry_run_prints_counts(world: World, db: Session) -> None:
    build(world)
    before = snapshot(db)

    result = runner.invoke(app, ["retention", "run", "--dry-run", "--at", "2026-11-01T12:00"])

    assert result.exit_code == 0, result.output
    assert "nothing was changed" in result.output
    assert "advise/refer flags past retention" in result.output
    assert snapshot(db) == before


def test_retention_on_an_empty_database_removes_nothing(engine, db: Session) -> None:
    result = retention.run_retention(db)
    assert result["unflagged_texts"] == 0 and result["consent_purge"]["accounts"] == 0
