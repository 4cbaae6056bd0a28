"""Training, activation, shadow mode, evaluation's label semantics, decision export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from pipeline.classify.assess import assess_pending
from pipeline.classify.core.evaluate import predict_label
from pipeline.classify.core.labeled import parse_mapping
from pipeline.classify.versions import (
    compare,
    evaluate_file,
    export_decisions,
    set_status,
    train_version,
)
from pipeline.db.models import AppUser, Assessment, Classifier, Flag, Review
from pipeline.errors import InputError

MAPPING = {"partisan": ["partisan", "government_policy"], "offensive": ["vulgar"], "benign": []}

TOPICS = ["hockey", "gardening", "baking", "the lake", "my cat", "jazz", "hiking", "the museum"]


def labeled_file(tmp_path: Path) -> Path:
    """Synthetic labeled posts written for this test."""
    rows = []
    for i, topic in enumerate(TOPICS):
        rows.append(
            {
                "text": f"Vote for the party that cares about {topic}, elect our candidate",
                "label": "partisan",
            }
        )
        rows.append(
            {
                "text": f"Election campaign rally about {topic}: vote Liberal or NDP",
                "label": "partisan",
            }
        )
        rows.append(
            {
                "text": f"What a stupid idiot talking about {topic}, shut up moron",
                "label": "offensive",
            }
        )
        rows.append(
            {"text": f"Damn this crap about {topic}, what a fucking loser", "label": "offensive"}
        )
        rows.append(
            {
                "text": f"Lovely afternoon enjoying {topic} with friends number {i}",
                "label": "benign",
            }
        )
        rows.append({"text": f"Had a relaxing time with {topic} this weekend", "label": "benign"})
    path = tmp_path / "labeled.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


MAPS = ["partisan=partisan,government_policy", "offensive=vulgar", "benign=none"]


def test_predicted_label_follows_the_highest_flagged_mapped_category():
    thresholds = dict.fromkeys(["partisan", "government_policy", "vulgar", "self_serving"], 0.5)
    scores = {"partisan": 0.6, "government_policy": 0.7, "vulgar": 0.65, "self_serving": 0.1}
    assert predict_label(scores, thresholds, MAPPING) == "partisan"
    scores["vulgar"] = 0.9
    assert predict_label(scores, thresholds, MAPPING) == "offensive"
    # self_serving is flagged and the highest, but no --map names it: it counts as no flag
    only_unmapped = {"partisan": 0.1, "government_policy": 0.1, "vulgar": 0.2, "self_serving": 0.99}
    assert predict_label(only_unmapped, thresholds, MAPPING) == "benign"
    nothing = dict.fromkeys(thresholds, 0.1)
    assert predict_label(nothing, thresholds, MAPPING) == "benign"
    assert predict_label(nothing, thresholds, {"partisan": ["partisan"]}) == "none"


def test_mapping_options_are_validated():
    assert parse_mapping(MAPS, ["partisan", "benign"])["benign"] == []
    with pytest.raises(InputError, match="unknown category 'spam'"):
        parse_mapping(["promo=spam"], ["promo"])
    with pytest.raises(InputError, match="not named by any --map"):
        parse_mapping(["a=vulgar"], ["a", "b"])
    with pytest.raises(InputError, match="--map promotional=partisan"):
        parse_mapping(None, ["promotional"])


def test_training_stores_a_candidate_and_activate_makes_it_live(db, tmp_path, fake_embedder):
    path = labeled_file(tmp_path)
    row = train_version(db, path, MAPS, embedder=fake_embedder)
    db.commit()
    assert row.status == "candidate" and row.version.startswith("trained-")
    assert row.metrics["macro_f1"] > 0.6 and row.metrics["rows_trained"] == 48
    assert set(row.params["head"]["labels"]) == {"partisan", "offensive", "benign"}
    # categories the mapping does not name keep the shipped threshold
    assert row.thresholds["self_serving"] == 0.35
    set_status(db, row.version, "live")
    db.commit()
    live = db.scalars(sa.select(Classifier).where(Classifier.status == "live")).all()
    assert [c.version for c in live] == [row.version]
    result = evaluate_file(db, path, MAPS, embedder=fake_embedder)
    assert result["classifier"] == row.version
    assert result["macro_f1"] > 0.6
    assert set(result["per_label"]) == {"partisan", "offensive", "benign"}
    assert len(result["confusion"]) == 3


def test_shadow_classifier_scores_posts_but_creates_no_flags(
    engine, db, posts, tmp_path, fake_embedder
):
    trained = train_version(db, labeled_file(tmp_path), MAPS, embedder=fake_embedder)
    db.commit()
    set_status(db, trained.version, "shadow")
    db.commit()
    summary = assess_pending(engine, embedder=fake_embedder)
    assert summary.by_classifier[trained.version] == len(posts)
    shadow_assessments = db.scalars(
        sa.select(Assessment).where(Assessment.classifier_id == trained.id)
    ).all()
    assert len(shadow_assessments) == len(posts)
    flagged = db.scalars(sa.select(Flag.assessment_id)).all()
    assert flagged and not ({a.id for a in shadow_assessments} & set(flagged))
    report = compare(db)
    assert report["shadow"] == trained.version and report["compared"] == len(posts)


def test_export_decisions_writes_reviewer_labels(engine, db, posts, fake_embedder):
    assess_pending(engine, embedder=fake_embedder)
    reviewer = AppUser(email="rev@example.org", password_hash="x", role="reviewer")
    db.add(reviewer)
    db.flush()
    flags = db.scalars(sa.select(Flag).order_by(Flag.id)).all()
    assert len(flags) >= 2
    db.add(
        Review(
            flag_id=flags[0].id,
            reviewer_id=reviewer.id,
            decision="advise",
            clause="partisan",
            rationale="r",
        )
    )
    db.add(
        Review(
            flag_id=flags[-1].id,
            reviewer_id=reviewer.id,
            decision="no_concern",
            clause="none",
            rationale="r",
        )
    )
    db.commit()
    rows = export_decisions(db)
    assert {r["label"] for r in rows} >= {flags[0].category}
    assert all(set(r) >= {"text", "label"} for r in rows)
    assert any(r["label"] == "none" for r in rows) or flags[0].post_id == flags[-1].post_id


def test_a_stored_head_scores_like_the_trained_one(tmp_path, fake_embedder, policy):
    import numpy as np

    from pipeline.classify.core.assessor import Assessor, exemplar_index
    from pipeline.classify.core.scoring import Head
    from pipeline.classify.core.training import features_for, train_head

    rows = [json.loads(line) for line in labeled_file(tmp_path).read_text().splitlines()]
    texts = [r["text"] for r in rows]
    index = exemplar_index(policy, fake_embedder.model_id, fake_embedder.encode)
    x = features_for(Assessor(policy, index, {}), texts, fake_embedder.encode(texts))
    mapping = parse_mapping(MAPS, [r["label"] for r in rows])
    result = train_head(x, [r["label"] for r in rows], mapping, texts=texts)
    stored = Head.from_params(json.loads(json.dumps(result.head.to_params())))
    assert stored.hash_coef is not None
    np.testing.assert_allclose(
        stored.label_probabilities(x, texts), result.head.label_probabilities(x, texts), atol=1e-3
    )
    assert set(result.thresholds) == {"partisan", "government_policy", "vulgar"}
    assert all(0.2 <= t <= 0.95 for t in result.thresholds.values())


def test_export_decisions_command_writes_jsonl_and_audits_only_a_count(
    engine, db, posts, fake_embedder, tmp_path
):
    from typer.testing import CliRunner

    from pipeline.cli import app
    from pipeline.db.models import AuditEvent

    assess_pending(engine, embedder=fake_embedder)
    reviewer = AppUser(email="rev2@example.org", password_hash="x", role="reviewer")
    db.add(reviewer)
    db.flush()
    flag = db.scalars(sa.select(Flag).order_by(Flag.id)).first()
    db.add(
        Review(
            flag_id=flag.id,
            reviewer_id=reviewer.id,
            decision="refer",
            clause=flag.category,
            rationale="r",
        )
    )
    db.commit()
    out = tmp_path / "decisions.jsonl"
    result = CliRunner().invoke(app, ["export", "decisions", "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["label"] for r in rows] == [flag.category]
    event = db.scalars(sa.select(AuditEvent).where(AuditEvent.action == "decisions.export")).one()
    assert event.details == {"rows": 1}
