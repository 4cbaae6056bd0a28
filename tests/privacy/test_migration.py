"""Migration 0005 (detected language, report and retention indexes) upgrades and downgrades."""

from __future__ import annotations

import sqlalchemy as sa

from pipeline.db import migrate

ADDED_INDEXES = {"ix_flag_closed_at", "ix_review_created_at", "ix_post_unpurged_fetched_at"}


def schema(engine: sa.Engine) -> tuple[set[str], set[str]]:
    inspector = sa.inspect(engine)
    columns = {c["name"] for c in inspector.get_columns("post")}
    indexes = {
        i["name"] for table in ("post", "flag", "review") for i in inspector.get_indexes(table)
    }
    return columns, indexes


def test_migration_0005_downgrades_and_upgrades(engine: sa.Engine) -> None:
    migrate.downgrade(engine, "0001")
    columns, indexes = schema(engine)
    assert "lang_detected" not in columns and not indexes & ADDED_INDEXES

    migrate.upgrade(engine)

    columns, indexes = schema(engine)
    assert "lang_detected" in columns and ADDED_INDEXES <= indexes
    assert migrate.status(engine).up_to_date
