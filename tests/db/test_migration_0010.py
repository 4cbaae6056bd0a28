"""Revision 0010 (how a quality sample was drawn): samples made before it count as random
draws, a sample without a draw is refused, and it downgrades cleanly."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from pipeline.db import migrate

ROWS = """
INSERT INTO account (id, platform, host, handle, kind, org_unit)
VALUES (1, 'mastodon', 'https://x.example', 'comms@x.example', 'official', 'Comms');
INSERT INTO post (id, account_id, external_id, text, content_hash, published_at)
VALUES (1, 1, 'a', 'Office hours', 'h1', now()), (2, 1, 'b', 'Vote', 'h2', now());
INSERT INTO flag (post_id, category, content_hash, score, risk, is_sample)
VALUES (1, 'none', 'h1', 0, 0.1, true), (2, 'partisan', 'h2', 0.7, 0.7, false);
"""


def draws(engine: sa.Engine) -> dict[int, str | None]:
    with engine.connect() as conn:
        return dict(conn.execute(sa.text("SELECT post_id, sample_draw FROM flag")).all())


def test_revision_0010_marks_earlier_samples_random_and_reverts(engine) -> None:
    migrate.downgrade(engine, "0009")
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(ROWS))
        migrate.upgrade(engine)
        assert draws(engine) == {1: "random", 2: None}
        for draw, constraint in (
            ("NULL", "ck_flag_sample_has_draw"),
            ("'x'", "ck_flag_sample_draw"),
        ):
            with pytest.raises(sa.exc.IntegrityError, match=constraint), engine.begin() as conn:
                conn.execute(sa.text(f"UPDATE flag SET sample_draw = {draw} WHERE post_id = 1"))
        migrate.downgrade(engine, "0009")
        columns = {c["name"] for c in sa.inspect(engine).get_columns("flag")}
        assert "sample_draw" not in columns
    finally:
        migrate.upgrade(engine)
    assert migrate.status(engine).up_to_date
