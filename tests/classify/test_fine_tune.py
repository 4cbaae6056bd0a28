"""Fine-tuning the real (small) model on a few synthetic rows, and a fine-tuned version at work:
cached and reused, shadowed, compared, activated, assessing, checking, evaluated, on the fast
path. One epoch of short rows: the model is trained once per test session and reused after."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from pipeline.classify.assess import assess_pending
from pipeline.classify.core.labeled import read_training_rows
from pipeline.classify.core.scoring import feature_width
from pipeline.classify.embedding.base import DEFAULT_MODEL, model_location, text_hash
from pipeline.classify.embedding.factory import get_embedder, get_fast_embedders
from pipeline.classify.finetune import trainer
from pipeline.classify.finetune.recipe import Recipe
from pipeline.classify.finetune.register import fine_tune_set
from pipeline.classify.guidance import load_policy
from pipeline.classify.store import ensure_live_classifier
from pipeline.classify.versions import compare, set_status, train_version
from pipeline.cli import app
from pipeline.db.models import Assessment, AuditEvent, Classifier, Embedding, Flag
from tests.classify.conftest import add_post

pytestmark = pytest.mark.model
runner = CliRunner()

RECIPE = Recipe(epochs=1, max_seq_length=32, hold_out="sources")
FINE_TUNE_OPTIONS = [  # = RECIPE
    "--fine-tune",
    "--epochs",
    "1",
    "--max-seq-length",
    "32",
    "--hold-out",
    "sources",
]
MAPS = ["partisan=partisan", "offensive=vulgar", "benign=none"]
SOURCES = ["forum-a", "forum-b", "forum-c", "forum-d", "forum-e"]
TOPICS = ["hockey", "gardening", "baking", "the lake", "jazz", "hiking"]


def write_rows(path: Path) -> Path:
    """Synthetic labeled posts written for these tests, from five sources."""
    rows = []
    for s, source in enumerate(SOURCES):
        for topic in (TOPICS[s], TOPICS[(s + 1) % len(TOPICS)]):
            rows += [
                {"text": f"Vote for the party that cares about {topic}!", "label": "partisan"},
                {"text": f"What a stupid idiot on {topic}, shut up moron", "label": "offensive"},
                {"text": f"A lovely afternoon of {topic} with friends", "label": "benign"},
            ]
        for row in rows[-6:]:
            row.update(source=source, lang="en")
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def labeled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_rows(tmp_path_factory.mktemp("fine-tune") / "labeled.jsonl")


@pytest.fixture(scope="module")
def first_run(labeled: Path, _model_cache: Path):
    """The first fine-tuning of these rows in this test session, with its progress calls."""
    calls: list[tuple[int, int]] = []
    tuned = fine_tune_set(
        read_training_rows([labeled], MAPS), RECIPE, progress=lambda d, t: calls.append((d, t))
    )
    return tuned, calls


def fine_tuned_version(db, labeled: Path) -> Classifier:
    row = train_version(db, labeled, MAPS, fine_tune=RECIPE)
    db.commit()
    return row


def test_a_fine_tuned_model_is_kept_in_the_cache_and_an_identical_run_reuses_it(
    db, labeled, first_run
):
    tuned, calls = first_run
    assert not tuned.reused
    assert calls and calls[-1][0] == calls[-1][1]
    assert (tuned.folder / "modules.json").is_file() and (tuned.folder / "head.json").is_file()
    assert model_location(tuned.model_id) == str(tuned.folder)
    row = fine_tuned_version(db, labeled)
    assert row.model_id == tuned.model_id
    assert row.version.startswith("finetuned-")
    m = row.metrics
    assert m["fine_tune"]["reused"] is True  # no training ran this time
    assert m["fine_tune"]["cache_key"] == tuned.model_id.removeprefix("ft-")
    assert m["fine_tune"]["rows_trained"] + m["fine_tune"]["rows_held_out"] == 30
    assert m["grouped"]["groups"] == 1 and m["grouped"]["rows"] == 6
    assert m["macro_f1"] == m["grouped"]["macro_f1"]
    assert set(m["by_lang"]) == {"en"}
    assert m["training_data"]["rows"] == 30 and len(m["training_data"]["sha256"]) == 64
    assert m["thresholds_from"]["government_policy"] == "unmapped"
    assert row.thresholds["government_policy"] > 1  # not scored: its label is not mapped
    params = row.params
    assert params["kind"] == "fine-tuned" and params["base_model"] == DEFAULT_MODEL
    coef = np.asarray(params["head"]["coef"])
    assert coef.shape == (3, 384 + feature_width(load_policy()))
    assert not coef[:, 384:].any() and coef[:, :384].any()
    again = fine_tuned_version(db, labeled)
    assert again.version != row.version and again.params["head"] == params["head"]
    event = db.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "classifier.train").limit(1)
    ).one()
    assert event.details["kind"] == "fine-tuned" and event.details["model_id"] == row.model_id


def test_the_same_seed_and_rows_give_the_same_model():
    texts = ["vote for us", "shut up idiot", "nice walk today", "elect our mayor"] * 2
    y = np.array([0, 1, 2, 0] * 2)
    recipe = Recipe(epochs=1, max_seq_length=16, batch_size=4)
    location = model_location(DEFAULT_MODEL)
    a, b = (trainer.fine_tune(location, texts, y, 3, recipe, on="cpu") for _ in range(2))
    assert np.allclose(a.coef, b.coef, atol=1e-6) and np.allclose(a.intercept, b.intercept)
    assert np.allclose(a.probabilities(texts[:3]), b.probabilities(texts[:3]), atol=1e-6)


def test_a_fine_tuned_shadow_is_compared_then_goes_live_and_flags_posts(
    engine, db, account, posts, labeled, real_embedder, first_run
):
    shipped = ensure_live_classifier(db)
    row = fine_tuned_version(db, labeled)
    set_status(db, row.version, "shadow")
    db.commit()
    summary = assess_pending(engine)
    assert summary.by_classifier == {shipped.version: 5, row.version: 5}
    policy = load_policy()
    hashes = [text_hash(policy.strip_disclaimers(p.text)) for p in posts]
    by_model = dict(
        db.execute(
            sa.select(Embedding.model_id, sa.func.count())
            .where(Embedding.content_hash.in_(hashes))
            .group_by(Embedding.model_id)
        ).all()
    )
    assert by_model == {DEFAULT_MODEL: 5, row.model_id: 5}
    compared = compare(db)
    assert (compared["live"], compared["shadow"], compared["compared"]) == (
        shipped.version,
        row.version,
        5,
    )
    set_status(db, row.version, "live")
    db.commit()
    fresh = [
        add_post(db, account, text, 100 + i)
        for i, text in enumerate(["Vote for the party that cares about hockey!", "Nice jazz."])
    ]
    db.commit()
    summary = assess_pending(engine)
    assert summary.by_classifier == {row.version: 2}
    tuned = get_embedder(row.model_id)
    assert tuned.model_id == row.model_id
    for post in fresh:
        assessment = db.scalars(sa.select(Assessment).where(Assessment.post_id == post.id)).one()
        assert assessment.classifier_id == row.id
        explained = assessment.explanation["categories"]
        assert explained["partisan"]["scored_by"] == "trained head"
        flagged = {c for c, d in explained.items() if d["flagged"]}
        flags = set(db.scalars(sa.select(Flag.category).where(Flag.post_id == post.id)))
        assert flags == flagged
        assert flagged <= {"partisan", "vulgar"}  # unmapped categories never flag
        # the nearest exemplars are measured in the fine-tuned space
        near = explained["partisan"]["nearest_exemplars"][0]
        stored = db.scalar(
            sa.select(Embedding.vector).where(
                Embedding.model_id == row.model_id, Embedding.content_hash == text_hash(post.text)
            )
        )
        cosine = float(np.asarray(stored) @ tuned.encode([near["text"]])[0])
        assert cosine == pytest.approx(near["similarity"], abs=2e-3)


def test_train_check_and_eval_from_the_command_line_use_the_fine_tuned_version(
    engine, labeled, real_embedder, first_run
):
    maps = [arg for m in MAPS for arg in ("--map", m)]
    trained = runner.invoke(
        app,
        ["train", str(labeled), *maps, *FINE_TUNE_OPTIONS, "--activate"],
    )
    assert trained.exit_code == 0, trained.output
    version = trained.stdout.strip().splitlines()[-1]
    assert version.startswith("finetuned-")
    assert "reused the fine-tuned model" in trained.output
    assert "held-out macro-F1" in trained.output and "by language: en" in trained.output
    checked = runner.invoke(app, ["check", "Vote for the party that cares about jazz!", "--json"])
    assert checked.exit_code == 0, checked.output
    report = json.loads(checked.stdout.strip().splitlines()[-1])
    assert report["classifier_version"] == version
    evaluated = runner.invoke(app, ["eval", str(labeled), *maps, "--classifier", version, "--json"])
    assert evaluated.exit_code == 0, evaluated.output
    result = json.loads(evaluated.stdout.strip().splitlines()[-1])
    assert result["classifier"] == version and result["rows"] == 30


def test_the_int8_fast_path_runs_on_a_fine_tuned_live_version(
    engine, db, posts, labeled, real_embedder, first_run
):
    row = fine_tuned_version(db, labeled)
    set_status(db, row.version, "live")
    db.commit()
    full, screen = get_fast_embedders(row.model_id)
    assert (full.model_id, screen.model_id) == (f"{row.model_id}@int8", f"{row.model_id}@L1@int8")
    exact = get_embedder(row.model_id).encode([p.text for p in posts])
    cosine = np.sum(full.encode([p.text for p in posts]) * exact, axis=1)
    assert cosine.min() > 0.95
    summary = assess_pending(engine, fast_path="cascade")
    assert summary.fast_path == "cascade"
    assert summary.by_classifier == {row.version: 5}
    paths = {a.explanation["scored_path"] for a in db.scalars(sa.select(Assessment))}
    assert paths <= {"screen", "full model"} and paths
    stored = db.scalar(
        sa.select(sa.func.count())
        .select_from(Embedding)
        .where(Embedding.model_id == f"{row.model_id}@int8")
    )
    assert stored > 0
