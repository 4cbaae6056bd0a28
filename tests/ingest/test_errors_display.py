"""Where a failing account shows: the scan's summary and its ``scan_run`` row, and
``impartial accounts list``; a shard that did not finish still lists its accounts."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from typer.testing import CliRunner

from pipeline import clock
from pipeline.cli import app
from pipeline.cli.common import console
from pipeline.db.models import ScanRun
from pipeline.fakes.cassettes import recorded_reply
from pipeline.ingest.sources.base import AccountState, Batch
from pipeline.ingest.store import IngestSummary, store_batch, store_failure
from pipeline.jobs import nightly_scan

UNAUTHENTICATED = (
    Path(__file__).parents[1] / "fixtures" / "errors" / "test_home_tl_anonymous_throws.yaml"
)


def _locked_and_fine(fake, register):
    locked = fake.add_account("mastodon", "locked")
    fine = fake.add_account("mastodon", "fine")
    fake.add_post("mastodon", fine, "Public post")
    fake.mastodon.answer_when(
        lambda r: fake.mastodon.account_key(r) == "locked",
        lambda r: recorded_reply(UNAUTHENTICATED, "/api/v1/timelines/home", status=401),
    )
    return register("mastodon", locked), register("mastodon", fine)


def test_scan_lists_the_failing_accounts_with_their_reasons_and_records_them(
    fake, register, engine, monkeypatch
):
    monkeypatch.setattr(console, "width", 200)  # a wide terminal: the reason on one line
    locked, _ = _locked_and_fine(fake, register)

    result = CliRunner().invoke(app, ["scan", "--ingest-only"])

    assert result.exit_code == 0, result.output
    assert "failed accounts: permanent" in result.output
    assert "Accounts not read" in result.output
    assert "The access token is invalid" in result.output and "401" in result.output
    with engine.connect() as conn:
        run = conn.execute(sa.select(ScanRun.status, ScanRun.failures, ScanRun.new_posts)).one()
    assert (run.status, run.new_posts) == ("success", 1)
    assert [(f["account_id"], f["kind"], f["http_status"]) for f in run.failures] == [
        (locked.id, "permanent", 401)
    ]
    assert run.failures[0]["platform"] == "mastodon" and run.failures[0]["host"] == locked.host


def test_accounts_list_shows_each_accounts_last_status_error_and_warning(
    fake, register, engine, settings, monkeypatch
):
    monkeypatch.setattr(console, "width", 250)
    locked, fine = _locked_and_fine(fake, register)
    CliRunner().invoke(app, ["scan", "--ingest-only"])
    warned = register("rss", fake.add_account("rss", "warned"))
    state = AccountState(warned.id, "rss", warned.host, warned.handle)
    store_batch(
        engine,
        settings,
        state,
        Batch(warning="not well-formed XML: entries recovered"),
        IngestSummary(),
    )

    listed = CliRunner().invoke(app, ["accounts", "list", "--json"])
    table = CliRunner().invoke(app, ["accounts", "list"])

    rows = {row["id"]: row for row in json.loads(listed.output)}
    assert rows[fine.id]["last_status"] == "ok" and rows[fine.id]["last_error"] is None
    assert rows[locked.id]["last_status"] == "failed"
    assert rows[locked.id]["last_error"]["kind"] == "permanent"
    assert rows[locked.id]["last_error"]["http_status"] == 401
    assert rows[warned.id]["last_warning"] == "not well-formed XML: entries recovered"
    assert "Accounts whose last scan failed or warned:" in table.output
    assert "permanent, HTTP 401: HTTP 401 from" in table.output
    assert "not well-formed XML: entries recovered" in table.output


def test_a_shard_without_a_result_lists_what_its_accounts_recorded(fake, register, engine):
    failed, silent = (register("mastodon", fake.add_account("mastodon", n)) for n in ("a", "b"))
    shards = [{"platform": "mastodon", "host": failed.host, "account_ids": [failed.id, silent.id]}]
    run_key = "nightly_scan/shard-failed"
    nightly_scan.plan(run_key)
    store_failure(
        engine,
        failed.id,
        {
            "kind": "transient",
            "http_status": None,
            "reason": "could not connect",
            "at": (clock.now() + timedelta(seconds=1)).isoformat(),
        },
    )
    store_failure(  # recorded by an earlier run: not this run's reason
        engine,
        silent.id,
        {
            "kind": "permanent",
            "http_status": 403,
            "reason": "old",
            "at": "2020-01-01T00:00:00+00:00",
        },
    )

    summary = nightly_scan.summarize(run_key, shards, [], {"assessed": 0}, {})

    assert summary["status"] == "failed"
    assert summary["errors_by_kind"] == {"transient": 2}
    reasons = {f["account_id"]: f["reason"] for f in summary["failures"]}
    assert reasons == {
        failed.id: "could not connect",
        silent.id: "not fetched: its shard did not finish in this run",
    }
    with engine.connect() as conn:
        listed = conn.scalar(sa.select(ScanRun.failures).where(ScanRun.run_key == run_key))
    assert listed == summary["failures"]
