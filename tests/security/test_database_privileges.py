"""With the app's own database URL, the audit log cannot be rewritten: the app's role owns
nothing and is no superuser, so every way around the append-only triggers fails, while
appending still works. A downgrade that would drop the log is refused and recorded."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from pipeline.cli import app as cli
from pipeline.db import migrate
from pipeline.db.engine import get_engine
from pipeline.db.roles import APP_ROLE, OWNER_ROLE, AppLogin

runner = CliRunner()
REFUSED = "permission denied|must be owner|must be superuser"

ATTACKS = [
    "ALTER TABLE audit_event DISABLE TRIGGER ALL",
    "ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_update_delete",
    "DROP TRIGGER audit_event_no_update_delete ON audit_event",
    "DROP TRIGGER audit_event_chain ON audit_event",
    "DROP TABLE audit_event",
    "ALTER TABLE audit_event RENAME TO audit_event_old",
    "SET session_replication_role = replica",
    "SET ROLE impartial_owner",
    "UPDATE audit_event SET actor = 'someone else'",
    "DELETE FROM audit_event",
    "TRUNCATE audit_event",
    "CREATE TABLE shadow (id int)",
    "CREATE SCHEMA shadow",
    "CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger "
    "LANGUAGE plpgsql AS $$ BEGIN RETURN OLD; END $$",
    "ALTER TABLE audit_chain DISABLE TRIGGER ALL",
    "INSERT INTO audit_chain (seq, event_id, prev_hash, hash) VALUES (99, 99, '', '')",
    "UPDATE audit_chain SET hash = ''",
    "DELETE FROM audit_chain",
    "DROP TABLE audit_chain",
    "UPDATE alembic_version SET version_num = '0001'",
    "GRANT impartial_owner TO impartial_app",
    "ALTER ROLE impartial_app SUPERUSER",
]


@pytest.fixture
def app_engine(database_url: str) -> Iterator[sa.Engine]:
    """A plain engine on the app's own URL (what every app process connects with)."""
    engine = sa.create_engine(database_url)
    yield engine
    engine.dispose()


def _audit_rows(engine: sa.Engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text("SELECT * FROM audit_event ORDER BY id"))]


def test_the_app_connects_as_its_own_role_not_as_the_owner(database_url: str) -> None:
    assert make_url(database_url).username == APP_ROLE
    assert get_engine().url.username == APP_ROLE
    with get_engine().connect() as conn:
        superuser = conn.scalar(
            sa.text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        )
        owners = conn.scalars(
            sa.text("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'")
        ).all()
    assert superuser is False
    assert owners == [OWNER_ROLE]


@pytest.mark.parametrize("statement", ATTACKS)
def test_the_apps_own_url_cannot_rewrite_the_audit_log(
    statement: str, engine: sa.Engine, app_engine: sa.Engine
) -> None:
    with app_engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO audit_event (actor, action) VALUES ('ana', 'flag.view')"))
    before = _audit_rows(engine)

    with pytest.raises(sa.exc.DBAPIError, match=REFUSED), app_engine.begin() as conn:
        conn.execute(sa.text(statement))

    assert _audit_rows(engine) == before
    with engine.connect() as conn:
        triggers = dict(
            conn.execute(
                sa.text(
                    "SELECT tgname, tgenabled FROM pg_trigger "
                    "WHERE tgrelid IN ('audit_event'::regclass, 'audit_chain'::regclass) "
                    "AND NOT tgisinternal"
                )
            ).all()
        )
        assert conn.scalar(sa.text("SELECT count(*) FROM audit_chain")) == 1
    assert triggers == {
        "audit_event_no_update_delete": "O",
        "audit_event_no_truncate": "O",
        "audit_event_chain": "O",
        "audit_chain_no_update_delete": "O",
        "audit_chain_no_truncate": "O",
    }


def test_the_app_still_appends_and_reads_the_audit_log(
    engine: sa.Engine, app_engine: sa.Engine
) -> None:
    with app_engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO audit_event (actor, action) VALUES ('ana', 'auth.login')")
        )
    with app_engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT action FROM audit_event")) == "auth.login"
        assert conn.scalar(sa.text("SELECT count(*) FROM audit_chain")) == 1


def test_rights_given_by_hand_do_not_survive_an_upgrade(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text(f"GRANT UPDATE, TRUNCATE ON audit_event TO {APP_ROLE}"))

    migrate.upgrade(engine)

    with engine.connect() as conn:
        rights = [
            conn.scalar(
                sa.text("SELECT has_table_privilege(:r, 'audit_event', :p)"),
                {"r": APP_ROLE, "p": right},
            )
            for right in ("UPDATE", "TRUNCATE", "DELETE", "INSERT", "SELECT")
        ]
    assert rights == [False, False, False, True, True]


SCRATCH = "impartial_before_roles"


@pytest.fixture
def install_before_the_roles(admin_database_url: str) -> Iterator[sa.Engine]:
    """A database migrated to 0006 by the superuser itself, as installs were before the owner
    and app roles: the superuser owns every table."""
    admin = sa.create_engine(admin_database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {SCRATCH}"))
        conn.execute(sa.text(f"CREATE DATABASE {SCRATCH}"))
    engine = sa.create_engine(make_url(admin_database_url).set(database=SCRATCH))
    migrate.ensure_pgvector(engine)
    with engine.begin() as conn:
        cfg = migrate.alembic_config(engine.url.render_as_string(hide_password=False))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0006")
        conn.execute(sa.text("INSERT INTO audit_event (actor, action) VALUES ('old', 'kept')"))
    yield engine
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {SCRATCH}"))
    admin.dispose()


def test_an_upgraded_older_install_gets_the_same_guarantee(
    install_before_the_roles: sa.Engine, database_url: str
) -> None:
    old = install_before_the_roles
    with old.connect() as conn:
        before = conn.scalar(sa.text("SELECT tableowner FROM pg_tables WHERE tablename = 'flag'"))
    assert before != OWNER_ROLE

    setup = migrate.upgrade(old, app=AppLogin(APP_ROLE))

    assert setup.least_privilege and setup.owner == OWNER_ROLE
    with old.connect() as conn:
        owners = set(
            conn.scalars(sa.text("SELECT tableowner FROM pg_tables WHERE schemaname = 'public'"))
        )
        assert owners == {OWNER_ROLE}
        assert conn.scalar(sa.text("SELECT count(*) FROM audit_chain")) == 1  # chained
    app = sa.create_engine(make_url(database_url).set(database=SCRATCH))
    try:
        for statement in ("ALTER TABLE audit_event DISABLE TRIGGER ALL", "DELETE FROM audit_event"):
            with pytest.raises(sa.exc.DBAPIError, match=REFUSED), app.begin() as conn:
                conn.execute(sa.text(statement))
        with app.connect() as conn:
            assert conn.scalar(sa.text("SELECT action FROM audit_event")) == "kept"
    finally:
        app.dispose()


def _downgrade_attempts(engine: sa.Engine) -> list[dict]:
    with engine.connect() as conn:
        return list(
            conn.scalars(
                sa.text("SELECT details FROM audit_event WHERE action = 'db.downgrade' ORDER BY id")
            )
        )


def test_downgrade_to_base_is_refused_keeps_every_event_and_is_recorded(
    engine: sa.Engine,
) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO audit_event (actor, action) VALUES ('ana', 'flag.view')"))
    head = migrate.status(engine).head

    result = runner.invoke(cli, ["db", "downgrade", "base"])

    message = " ".join(result.output.split())  # the console wraps long lines
    assert result.exit_code == 2
    assert "--destroy-audit-log" in message and "nothing was changed" in message
    assert migrate.status(engine).current == head
    with engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT action FROM audit_event ORDER BY id LIMIT 1")) == (
            "flag.view"
        )
    assert _downgrade_attempts(engine) == [
        {"target": "base", "from": head, "drops_audit_log": True, "outcome": "refused"}
    ]


def test_destroying_the_log_without_a_terminal_needs_yes(engine: sa.Engine) -> None:
    head = migrate.status(engine).head

    result = runner.invoke(cli, ["db", "downgrade", "base", "--destroy-audit-log"])

    assert result.exit_code == 2 and "--yes" in result.output
    assert migrate.status(engine).current == head
    assert [a["outcome"] for a in _downgrade_attempts(engine)] == ["refused"]


def test_the_library_guard_refuses_without_the_explicit_flag(engine: sa.Engine) -> None:
    with pytest.raises(migrate.AuditLogProtectedError, match="audit log"):
        migrate.downgrade(engine, "base")
    assert migrate.status(engine).up_to_date
