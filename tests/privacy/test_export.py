"""Access requests: the export holds every kind of record about the person, and only theirs."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from pipeline.audit import trail
from pipeline.cli import app
from tests.factories import NOW, World

runner = CliRunner()


def test_export_contains_every_kind_of_record(world: World, db: Session, tmp_path: Path) -> None:
    ana = world.person("ana")
    account = world.account(ana)
    world.consent(ana)
    post = world.post(account, "Vote for my friend's party.")
    flag = world.flag(post, assessment=world.assessment(post))
    reviewer = world.user("rev@example.org")
    world.review(flag, reviewer, "advise", at=NOW)
    me = world.user("ana.login@example.org", role="employee", person=ana)
    world.response(flag, me, "It was a joke among friends.")
    from pipeline.privacy import holds

    holds.place_hold(db, ana.email, reason="grievance", actor="test")
    bob = world.person("bob")
    world.post(world.account(bob), "Bob's private musings.")
    trail.record(db, "flag.reveal", actor="lead", person_id=ana.id)
    db.commit()
    out = tmp_path / "ana.json"

    result = runner.invoke(app, ["export", "person", ana.email, "--out", str(out)])

    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    for section in (
        "accounts",
        "consents",
        "legal_holds",
        "posts",
        "assessments",
        "flags",
        "decisions",
        "responses",
        "user_accounts",
        "audit_events",
    ):
        assert data[section], f"{section} is empty"
    assert data["person"]["email"] == ana.email
    assert data["posts"][0]["text"] == "Vote for my friend's party."
    assert data["posts"][0]["parts"] == {"body": "Vote for my friend's party."}
    assert data["decisions"][0]["decision"] == "advise"
    assert "reviewer_id" not in data["decisions"][0]
    assert data["responses"][0]["body"] == "It was a joke among friends."
    assert {"flag.reveal", "consent.grant"} <= {e["action"] for e in data["audit_events"]}
    assert "Bob" not in out.read_text()
    assert "password" not in out.read_text()
    # the export itself is audited, with counts
    details = db.scalar(
        sa.text(
            "SELECT details FROM audit_event WHERE action = 'privacy.export' AND person_id = :p"
        ),
        {"p": ana.id},
    )
    assert details["posts"] == 1 and details["decisions"] == 1


def test_export_to_stdout_is_json(world: World, db: Session) -> None:
    world.person("ana")
    db.commit()
    result = runner.invoke(app, ["export", "person", "ana@example.org"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["posts"] == []


def test_export_of_unknown_person_is_a_user_error(engine) -> None:
    result = runner.invoke(app, ["export", "person", "nobody@example.org"])
    assert result.exit_code == 2 and "no person registered" in result.output
