"""Learning from reviewers: what ``export decisions`` labels a post, and the round trip
export -> ``impartial train`` (with another labeled file beside it) through the CLI.

The embedder is the fake one (the CLI's model is swapped at ``versions.get_embedder``); the
real model's train/eval round trip is in test_model_cli.py.
"""

from __future__ import annotations

import json
from datetime import timedelta

import sqlalchemy as sa
from typer.testing import CliRunner

from pipeline.classify import versions
from pipeline.classify.embedding.fake import FakeEmbedder
from pipeline.classify.versions import export_decisions
from pipeline.cli import app
from pipeline.db.models import Classifier
from tests.factories import NOW, World

runner = CliRunner()


def test_export_labels_each_post_by_the_upheld_clause_of_its_highest_scoring_flag(world: World, db):
    official = world.account(kind="official", org_unit="Comms")
    rae = world.user("rae@example.org")
    lead = world.user("lead@example.org", role="lead")
    at = NOW - timedelta(days=1)

    def post(text: str):
        return world.post(official, text, lang="en")

    mixed = post("Mixed post")  # no concern on one category, advise on another
    world.review(world.flag(mixed, "partisan", score=0.9), rae, "no_concern", at=at)
    world.review(world.flag(mixed, "vulgar", score=0.6), rae, "advise", at=at)
    missed = post("Sampled post")  # a quality sample the reviewer found concerning: a miss
    sample = world.flag(missed, "none", sample=True, score=0.0)
    world.review(sample, rae, "advise", at=at, clause="government_policy")
    renamed = post("Renamed post")  # upheld under another clause than the flag's
    world.review(world.flag(renamed, "partisan"), rae, "advise", at=at, clause="vulgar")
    referred = post("Referred post")
    escalated = world.flag(referred, "self_serving")
    world.review(escalated, rae, "escalate", at=at)
    world.review(escalated, lead, "refer", at=at + timedelta(hours=1), stage="lead")
    escalated_only = post("Escalated post")
    world.review(world.flag(escalated_only, "partisan"), rae, "escalate", at=at)
    fine = post("Fine post")
    world.review(world.flag(fine, "partisan"), rae, "no_concern", at=at)
    reopened = post("Reopened post")  # awaiting a new decision: not a label yet
    again = world.flag(reopened, "partisan")
    world.review(again, rae, "advise", at=at)
    world.review(again, lead, "reopen", at=at + timedelta(hours=1), stage="lead")
    parity = post("Parity post")  # official languages say nothing about the text
    world.review(world.flag(parity, "official_languages"), rae, "advise", at=at)
    db.commit()

    rows = {r["text"]: r for r in export_decisions(db)}
    assert {text: r["label"] for text, r in rows.items()} == {
        "Mixed post": "vulgar",
        "Sampled post": "government_policy",
        "Renamed post": "vulgar",
        "Referred post": "self_serving",
        "Escalated post": "partisan",
        "Fine post": "none",
    }
    assert rows["Mixed post"]["decisions"] == {"partisan": "no_concern", "vulgar": "advise"}
    assert rows["Sampled post"]["decisions"] == {"none": "advise"}
    assert rows["Mixed post"]["id"] == f"post:{mixed.id}"


TOPICS = ["the budget vote", "the ferry", "the library", "the harbour", "the bridge", "tax day"]


def decided_posts(world: World, db) -> None:
    """Twelve reviewed posts: four upheld as partisan, four as vulgar, four of no concern."""
    official = world.account(kind="official", org_unit="Comms")
    rae = world.user("rae@example.org")
    at = NOW - timedelta(days=1)
    for i, topic in enumerate(TOPICS[:4]):
        partisan = world.flag(world.post(official, f"Vote Purple Party, they will fix {topic}"))
        world.review(partisan, rae, "advise", at=at)
        vulgar = world.flag(
            world.post(official, f"Shut up you idiot clown about {topic}"), "vulgar"
        )
        world.review(vulgar, rae, "escalate" if i % 2 else "advise", at=at)
        calm = world.flag(world.post(official, f"Sunny afternoon walk near {topic} {i}"))
        world.review(calm, rae, "no_concern", at=at)
    db.commit()


def other_file(path):
    """Labeled rows of three other sources, with their own label names."""
    rows = []
    for k, source in enumerate(["forum-a", "forum-b", "forum-c"]):
        for i, topic in enumerate(TOPICS[k * 2 : k * 2 + 2]):
            rows += [
                {"text": f"Elect the Purple slate to fix {topic}", "label": "politics"},
                {"text": f"Idiot moron clown ranting on {topic} {i}", "label": "offensive"},
                {"text": f"Coffee with friends by {topic} {i}", "label": "benign"},
            ]
        for row in rows[-6:]:
            row["source"] = source
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_decisions_export_trains_with_another_file_through_the_cli(
    world: World, db, tmp_path, monkeypatch
):
    monkeypatch.setattr(versions, "get_embedder", FakeEmbedder)
    decided_posts(world, db)
    decisions = tmp_path / "decisions.jsonl"
    exported = runner.invoke(app, ["export", "decisions", "-o", str(decisions)])
    assert exported.exit_code == 0, exported.output
    also = other_file(tmp_path / "forums.jsonl")
    maps = ["politics=partisan,government_policy", "offensive=vulgar", "benign=none"]
    trained = runner.invoke(
        app,
        ["train", str(decisions), "--also", str(also), *(a for m in maps for a in ("--map", m))],
    )
    assert trained.exit_code == 0, trained.output
    version = trained.stdout.strip().splitlines()[-1]
    said = " ".join(trained.output.split())
    assert "grouped by source (4 folds over 4 sources)" in said
    assert "expect the grouped figure on posts from elsewhere" in said
    row = db.scalar(sa.select(Classifier).where(Classifier.version == version))
    data = row.metrics["training_data"]
    assert data["files"] == ["decisions.jsonl", "forums.jsonl"]
    assert data["rows"] == 30
    assert data["by_source"] == {
        "reviewer-decisions": 12, "forum-a": 6, "forum-b": 6, "forum-c": 6
    }  # fmt: skip
    # the forums' labels train as the decisions' labels of the same categories
    assert data["labels_merged"] == {"offensive": "vulgar", "benign": "none"}
    assert data["by_label"] == {"none": 10, "partisan": 4, "politics": 6, "vulgar": 10}
    assert set(row.metrics["grouped"]["per_source"]) == set(data["by_source"])
    assert row.metrics["kfold"]["macro_f1"] == row.metrics["macro_f1"]
    assert f"{row.metrics['grouped']['macro_f1']:.3f} grouped by source" in said
    assert row.params["mapping"] == {
        "politics": ["partisan", "government_policy"],
        "partisan": ["partisan"],
        "vulgar": ["vulgar"],
        "none": [],
    }


def test_training_on_rows_of_one_source_says_why_there_is_no_grouped_figure(
    world: World, db, tmp_path, monkeypatch
):
    monkeypatch.setattr(versions, "get_embedder", FakeEmbedder)
    decided_posts(world, db)
    decisions = tmp_path / "decisions.jsonl"
    decisions.write_text(
        "".join(json.dumps(r) + "\n" for r in export_decisions(db)), encoding="utf-8"
    )
    trained = runner.invoke(app, ["train", str(decisions)])
    assert trained.exit_code == 0, trained.output
    said = " ".join(trained.output.split())
    assert "no grouped estimate: the rows come from 1 source(s)" in said
    missing = runner.invoke(app, ["train", str(decisions), "--also", str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "nope: no such file" in " ".join(missing.output.split())
