"""Rewriting history past the triggers shows: a superuser who turns the audit log's triggers
off and changes, deletes, slips in or reorders rows is caught by ``impartial audit verify``.
A log written by many concurrent writers verifies intact."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from pipeline.audit import chain
from pipeline.audit.trail import record
from pipeline.cli import app as cli
from pipeline.db.engine import get_engine, unit_of_work

runner = CliRunner()


def _write(events: int, *, actor: str = "user:ana@example.org") -> None:
    """Events as the app writes them: through the trail, on the app's own role."""
    with unit_of_work(get_engine()) as uow:
        for n in range(events):
            record(uow.session, "flag.view", actor=actor, subject_type="flag", subject_id=n)
        uow.commit()


def _as_superuser_with_triggers_off(engine: sa.Engine, *statements: str) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        for statement in statements:
            conn.execute(sa.text(statement))


def _verify(*args: str):
    result = runner.invoke(cli, ["audit", "verify", *args])
    return result, " ".join(result.output.split())


def test_a_log_written_by_concurrent_writers_verifies_intact(engine: sa.Engine) -> None:
    def writer(n: int) -> None:
        for _ in range(10):
            _write(1 + n % 3, actor=f"user:{n}@example.org")

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    result, output = _verify()

    assert result.exit_code == 0, output
    assert "audit chain intact: 150 event(s)" in output
    with engine.connect() as conn:
        seqs = conn.scalars(sa.text("SELECT seq FROM audit_chain ORDER BY seq")).all()
        verified = conn.execute(
            sa.text("SELECT details FROM audit_event WHERE action = 'audit.verify'")
        ).scalar_one()
    assert seqs == list(range(1, 152))  # the check itself was chained after it ran
    assert verified["entries"] == 150 and verified["breaks"] == 0


@pytest.mark.parametrize(
    ("tamper", "kind"),
    [
        (
            'UPDATE audit_event SET details = \'{"decision": "no_concern"}\' WHERE id = 2',
            "modified",
        ),
        ("UPDATE audit_event SET at = at - interval '1 day' WHERE id = 2", "modified"),
        ("DELETE FROM audit_event WHERE id = 2", "deleted"),
    ],
)
def test_a_row_changed_or_deleted_with_triggers_off_is_caught(
    engine: sa.Engine, tamper: str, kind: str
) -> None:
    _write(4)
    _as_superuser_with_triggers_off(engine, tamper)

    result, output = _verify()

    assert result.exit_code == 1
    assert f"chain entry 2, event 2: {kind}" in output
    assert "1 problem(s)" in output


def test_a_row_slipped_in_with_triggers_off_is_caught(engine: sa.Engine) -> None:
    _write(3)
    _as_superuser_with_triggers_off(
        engine,
        "INSERT INTO audit_event (id, actor, action) VALUES (1000, 'user:ana', 'flag.close')",
    )

    result, output = _verify()

    assert result.exit_code == 1
    assert "no chain entry, event 1000: unchained" in output


def test_reordered_or_removed_chain_entries_are_caught(engine: sa.Engine) -> None:
    _write(5)
    _as_superuser_with_triggers_off(
        engine,
        "UPDATE audit_chain SET seq = -seq WHERE seq IN (2, 3)",
        "UPDATE audit_chain SET seq = CASE seq WHEN -2 THEN 3 ELSE 2 END WHERE seq < 0",
    )
    result, output = _verify()
    assert result.exit_code == 1
    assert "chain entry 2, event 3: relinked" in output

    _as_superuser_with_triggers_off(engine, "DELETE FROM audit_chain WHERE seq = 4")
    result, output = _verify()
    assert "chain entry 5, event 5: gap: entries 4 to 4 are missing" in output


def test_a_chain_rewritten_after_a_change_is_caught_by_an_earlier_anchor(
    engine: sa.Engine,
) -> None:
    _write(4)
    result, output = _verify()
    anchor = output.split("head ")[1].split()[0]
    assert anchor.startswith("4:")

    # the careful forger: change event 2, then recompute every hash from there on
    _as_superuser_with_triggers_off(engine, "UPDATE audit_event SET actor = 'x' WHERE id = 2")
    with engine.begin() as conn:
        conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        rows = conn.execute(
            sa.text(
                f"SELECT c.seq, {chain.CANONICAL} FROM audit_chain c "
                "JOIN audit_event e ON e.id = c.event_id ORDER BY c.seq"
            )
        ).all()
        previous = ""
        for seq, body in rows:
            digest = chain.link_hash(previous, body)
            conn.execute(
                sa.text("UPDATE audit_chain SET prev_hash = :p, hash = :h WHERE seq = :s"),
                {"p": previous, "h": digest, "s": seq},
            )
            previous = digest

    assert _verify()[0].exit_code == 0  # consistent again, on its own
    result, output = _verify("--anchor", anchor)
    assert result.exit_code == 1
    assert "chain entry 4, event 4: anchor" in output


def test_a_malformed_anchor_is_refused_and_nothing_is_recorded(engine: sa.Engine) -> None:
    result, output = _verify("--anchor", "yesterday")

    assert result.exit_code == 2 and "--anchor" in output
    with engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT count(*) FROM audit_event")) == 0
