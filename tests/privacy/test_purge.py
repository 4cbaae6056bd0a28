"""Consent withdrawal purges an account's content; legal holds suspend it."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.privacy import holds, retention, withdrawal
from pipeline.registry import consent
from tests.factories import NOW, World

runner = CliRunner()


def content_rows(db: Session, account_id: int) -> dict[str, int]:
    """What the database still holds of an account, read directly in SQL."""
    return dict(
        db.execute(
            sa.text("""
        SELECT
          (SELECT count(*) FROM post WHERE account_id = :a) AS posts,
          (SELECT count(*) FROM post WHERE account_id = :a
             AND (text IS NOT NULL OR url IS NOT NULL OR meta <> '{}'::jsonb
                  OR parts <> '{}'::jsonb)) AS posts_with_text,
          (SELECT count(*) FROM assessment s JOIN post p ON p.id = s.post_id
             WHERE p.account_id = :a) AS assessments,
          (SELECT count(*) FROM flag f JOIN post p ON p.id = f.post_id WHERE p.account_id = :a
             AND NOT EXISTS (SELECT 1 FROM review r WHERE r.flag_id = f.id)) AS open_flags,
          (SELECT count(*) FROM flag f JOIN post p ON p.id = f.post_id
             WHERE p.account_id = :a) AS flags,
          (SELECT count(*) FROM embedding e WHERE e.content_hash IN (
             SELECT content_hash FROM post WHERE account_id = :a)) AS embeddings
    """),
            {"a": account_id},
        )
        .mappings()
        .one()
    )


def build(world: World):
    ana = world.person("ana")
    account = world.account(ana)
    world.consent(ana)
    bob = world.person("bob")
    other = world.account(bob)
    world.consent(bob)
    reviewer = world.user("rev@example.org")
    plain = world.post(account, "A walk in the park today.")
    world.assessment(plain)
    world.embedding(plain.content_hash)
    opened = world.post(account, "Vote for the party that cut my taxes!", days_ago=2)
    world.flag(opened, assessment=world.assessment(opened))
    world.embedding(opened.content_hash)
    decided = world.post(account, "The minister's plan is a disaster.", days_ago=3)
    decided_flag = world.flag(decided, "government_policy", assessment=world.assessment(decided))
    world.review(decided_flag, reviewer, "advise", at=NOW)
    world.embedding(decided.content_hash)
    shared = world.post(other, "A walk in the park today.")  # same text elsewhere: kept
    world.db.commit()
    return ana, account, other, decided_flag, shared


def test_withdrawal_purges_the_accounts_content_in_sql(world: World, db: Session) -> None:
    ana, account, other, decided_flag, shared = build(world)

    result = runner.invoke(app, ["consent", "withdraw", ana.email])

    assert result.exit_code == 0, result.output
    assert "2 posts deleted" in result.output and "1 kept as tombstones" in result.output
    db.expire_all()
    left = content_rows(db, account.id)
    assert left["posts_with_text"] == 0
    assert left["assessments"] == 0
    assert left["open_flags"] == 0
    assert left["posts"] == 1 and left["flags"] == 1  # the decided flag's tombstone only
    # the decided flag keeps its decision metadata, its post only the hash
    row = db.execute(
        sa.text("""
        SELECT f.category, f.score, p.text, p.content_hash, p.text_purged_at,
               (SELECT count(*) FROM review r WHERE r.flag_id = f.id) AS reviews
        FROM flag f JOIN post p ON p.id = f.post_id WHERE f.id = :f"""),
        {"f": decided_flag.id},
    ).one()
    assert row.category == "government_policy" and row.score == 0.7 and row.reviews == 1
    assert row.text is None and len(row.content_hash) == 64 and row.text_purged_at is not None
    # embeddings only this account referred to are gone; the shared one stays
    assert db.scalar(sa.text("SELECT count(*) FROM embedding")) == 1
    assert db.scalar(sa.text("SELECT content_hash FROM embedding")) == shared.content_hash
    assert content_rows(db, other.id)["posts_with_text"] == 1
    # scanning stops: the account is no longer eligible
    assert account.id not in [a.id for a in consent.eligible_accounts(db)]


def test_purge_is_audited_with_counts_never_content(world: World, db: Session) -> None:
    ana, *_ = build(world)

    runner.invoke(app, ["consent", "withdraw", ana.email])

    details = db.execute(
        sa.text(
            "SELECT details FROM audit_event WHERE action = 'privacy.purge' AND person_id = :p"
        ),
        {"p": ana.id},
    ).scalar_one()
    assert details["posts_deleted"] == 2 and details["assessments"] == 3
    assert details["open_flags"] == 1 and details["embeddings"] == 2
    assert details["reason"] == "consent withdrawn"
    assert "park" not in str(details) and "minister" not in str(details)


def test_account_still_covered_by_another_consent_keeps_its_content(
    world: World, db: Session
) -> None:
    ana = world.person("ana")
    account = world.account(ana)
    world.consent(ana)
    scoped = consent.grant_consent(
        db, ana.email, evidence="form 2", actor="test", account_id=account.id
    )
    world.post(account, "Lunch with colleagues.")
    db.commit()

    _, counts = withdrawal.withdraw_and_purge(db, ana.email, actor="test", consent_id=scoped.id)
    db.commit()

    assert counts["accounts"] == 0
    assert content_rows(db, account.id)["posts_with_text"] == 1


def test_legal_hold_blocks_the_withdrawal_purge(world: World, db: Session) -> None:
    ana, account, *_ = build(world)
    placed = runner.invoke(app, ["hold", "add", ana.email, "--reason", "Grievance 2026-114"])
    assert placed.exit_code == 0, placed.output
    before = content_rows(db, account.id)

    result = runner.invoke(app, ["consent", "withdraw", ana.email])

    assert result.exit_code == 0, result.output
    assert "legal hold" in result.output
    db.expire_all()
    assert content_rows(db, account.id) == before
    assert before["posts_with_text"] == 3
    assert (
        db.scalar(sa.text("SELECT count(*) FROM audit_event WHERE action = 'privacy.purge_held'"))
        == 1
    )


def test_released_hold_lets_retention_purge_the_withdrawn_account(
    world: World, db: Session
) -> None:
    ana, account, *_ = build(world)
    hold = holds.place_hold(db, ana.email, reason="matter", actor="test")
    withdrawal.withdraw_and_purge(db, ana.email, actor="test")
    db.commit()
    assert content_rows(db, account.id)["posts_with_text"] == 3

    listed = runner.invoke(app, ["hold", "list"])
    released = runner.invoke(app, ["hold", "release", str(hold.id)])
    again = runner.invoke(app, ["hold", "release", str(hold.id)])
    result = retention.run_retention(db)
    db.commit()

    assert "matter" in listed.output and released.exit_code == 0
    assert again.exit_code == 2 and "already released" in again.output
    assert result["consent_purge"]["accounts"] == 1
    assert content_rows(db, account.id)["posts_with_text"] == 0


def test_unknown_hold_is_a_user_error(engine) -> None:
    result = runner.invoke(app, ["hold", "release", "999"])
    assert result.exit_code == 2 and "no legal hold" in result.output
