"""Revision 0004 (the claim-order index) upgrades and downgrades cleanly."""

from __future__ import annotations

import sqlalchemy as sa

from pipeline.db import migrate


def _flag_indexes(engine: sa.Engine) -> set[str]:
    return {ix["name"] for ix in sa.inspect(engine).get_indexes("flag")}


def test_revision_0004_replaces_the_open_flag_index_and_reverts(engine) -> None:
    assert "ix_flag_queue_order" in _flag_indexes(engine)
    migrate.downgrade(engine, "0001")
    try:
        indexes = _flag_indexes(engine)
        assert "ix_flag_queue_order" not in indexes and "ix_flag_open_priority" in indexes
    finally:
        migrate.upgrade(engine)
    assert "ix_flag_queue_order" in _flag_indexes(engine)
    with engine.connect() as conn:
        definition = conn.scalar(
            sa.text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_flag_queue_order'")
        )
    assert "risk DESC, created_at, id" in definition and "closed_at IS NULL" in definition
