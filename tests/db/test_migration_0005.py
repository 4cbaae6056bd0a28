"""Migration 0005 (detected language, report and retention indexes) upgrades and downgrades.

It runs on a database of its own on the test server, so the shared test schema is untouched.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from pipeline.db import migrate

ADDED_INDEXES = {"ix_flag_closed_at", "ix_review_created_at", "ix_post_unpurged_fetched_at"}
SCRATCH = "impartial_migration_0005"


@pytest.fixture
def scratch_engine(admin_database_url: str) -> Iterator[sa.Engine]:
    admin = sa.create_engine(admin_database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {SCRATCH}"))
        conn.execute(sa.text(f"CREATE DATABASE {SCRATCH}"))
    engine = sa.create_engine(make_url(admin_database_url).set(database=SCRATCH))
    yield engine
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {SCRATCH}"))
    admin.dispose()


def schema(engine: sa.Engine) -> tuple[set[str], set[str]]:
    inspector = sa.inspect(engine)
    columns = {c["name"] for c in inspector.get_columns("post")}
    indexes = {
        i["name"] for table in ("post", "flag", "review") for i in inspector.get_indexes(table)
    }
    return columns, indexes


def test_migration_0005_downgrades_and_upgrades(scratch_engine: sa.Engine) -> None:
    migrate.upgrade(scratch_engine)
    migrate.downgrade(scratch_engine, "0001")
    columns, indexes = schema(scratch_engine)
    assert "lang_detected" not in columns and not indexes & ADDED_INDEXES

    migrate.upgrade(scratch_engine)

    columns, indexes = schema(scratch_engine)
    assert "lang_detected" in columns and indexes >= ADDED_INDEXES
    assert migrate.status(scratch_engine).up_to_date
