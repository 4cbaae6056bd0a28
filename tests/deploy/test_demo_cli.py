"""``impartial demo --no-serve``, as a newcomer runs it: twice, the second time adding nothing;
a sign-in for every role, the people by name and the flags by pseudonym, never side by side."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.config import get_settings
from pipeline.demo import dataset

pytestmark = pytest.mark.model  # the scan loads the real sentence-transformers model

SCANNED_POSTS = sum(len(a.posts) for a in dataset.load().scanned_accounts())


def test_demo_scans_prints_the_summary_and_is_safe_to_rerun(
    engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMPARTIAL_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    runner = CliRunner()

    first = runner.invoke(app, ["demo", "--no-serve"])
    assert first.exit_code == 0, first.output
    assert re.search(r"6 people, 8 accounts and \d+ consents added", first.output)
    assert re.search(rf"success; 6 accounts, {SCANNED_POSTS} new posts", first.output)
    assert "What was ingested, assessed and flagged" in first.output
    assert "no: no consent" in first.output
    flags = int(re.search(r"Flags for human review \((\d+)\)", first.output).group(1))
    assert flags > 0
    assert f"data folder: {tmp_path}" in first.output
    assert "review history: the demo reviewer decided 3 items" in first.output
    for email in ("reviewer@", "lead@", "auditor@", "admin@", "ana.roy@"):
        assert re.search(rf"{email}demo\.example +│ \S{{16}}", first.output), email
    pseudonyms = set(re.findall(r"P-[0-9A-F]{6}", first.output))
    assert pseudonyms
    names = [p.name for p in dataset.load().people]
    beside = [
        line
        for line in first.output.splitlines()
        if any(p in line for p in pseudonyms) and any(n in line for n in names)
    ]
    assert beside == []

    second = runner.invoke(app, ["demo", "--no-serve"])
    get_settings.cache_clear()
    assert second.exit_code == 0, second.output
    assert "0 people, 0 accounts and 0 consents added" in second.output
    assert re.search(r"success; 6 accounts, 0 new posts, 0 edits, 0 assessed", second.output)
    assert f"Flags for human review ({flags})" in second.output
    assert "review history" not in second.output
