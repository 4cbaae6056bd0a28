"""``impartial scan`` as a user runs it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.db.models import ScanRun


def test_scan_ingest_only_prints_the_summary_and_records_the_run(fake, register, engine):
    handle = fake.add_account("mastodon", "ana")
    fake.add_post("mastodon", handle, "Public post")
    fake.add_post("mastodon", handle, "Boost", reblog=True)
    register("mastodon", handle)

    result = CliRunner().invoke(app, ["scan", "--ingest-only"])

    assert result.exit_code == 0, result.output
    assert "new posts" in result.output and "skipped: reblog" in result.output
    assert "assessment not run" not in result.output
    with engine.connect() as conn:
        run = conn.execute(sa.select(ScanRun.status, ScanRun.new_posts)).one()
    assert tuple(run) == ("success", 1)


@pytest.mark.model
def test_plain_scan_also_assesses_and_queues_what_it_fetched(fake, register, engine):
    handle = fake.add_account("mastodon", "dept")
    fake.add_post("mastodon", handle, "Vote Conservative on Monday: Poilievre will fix this mess!")
    fake.add_post("mastodon", handle, "Our office is closed on Monday for the holiday.")
    register("mastodon", handle)

    result = CliRunner().invoke(app, ["scan"])

    assert result.exit_code == 0, result.output
    assert "assessed 2 post(s)" in result.output
    with engine.connect() as conn:
        run = conn.execute(sa.select(ScanRun.assessed, ScanRun.flags_created)).one()
        flags = conn.scalar(sa.text("SELECT count(*) FROM flag WHERE NOT is_sample"))
    assert run.assessed == 2
    assert run.flags_created == flags >= 1


def test_scan_without_eligible_accounts_says_what_to_do(engine):
    result = CliRunner().invoke(app, ["scan", "--ingest-only"])

    assert result.exit_code == 0
    assert "no eligible accounts" in result.output
