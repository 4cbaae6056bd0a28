from __future__ import annotations

import pytest
import sqlalchemy as sa

from pipeline.db import migrate


def test_schema_is_at_head(engine: sa.Engine) -> None:
    state = migrate.status(engine)
    assert state.up_to_date
    assert state.current == state.head


def test_audit_event_rejects_update_and_delete(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO audit_event (actor, action) VALUES ('t', 'x')"))
    for statement in (
        "UPDATE audit_event SET actor = 'y'",
        "DELETE FROM audit_event",
        "TRUNCATE audit_event",
    ):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(sa.text(statement))
    with engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT actor FROM audit_event")) == "t"


def test_downgrade_to_base_and_upgrade_again(engine: sa.Engine) -> None:
    migrate.downgrade(engine, "base", destroy_audit_log=True)
    with engine.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names())
    assert tables <= {"alembic_version"}
    assert migrate.status(engine).current is None

    migrate.upgrade(engine)
    with engine.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names())
    assert {"person", "account", "consent", "post", "embedding", "flag", "audit_event"} <= tables
    assert migrate.status(engine).up_to_date


def test_upgrade_is_idempotent(engine: sa.Engine) -> None:
    migrate.upgrade(engine)
    migrate.upgrade(engine)
    assert migrate.status(engine).up_to_date


def test_models_and_migrations_describe_the_same_schema(engine: sa.Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from pipeline.db.models import Base

    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
