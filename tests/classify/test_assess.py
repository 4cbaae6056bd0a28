"""assess_pending against the real database, with the fake embedder (fast, no model)."""

from __future__ import annotations

import sqlalchemy as sa

from pipeline.classify.assess import assess_pending
from pipeline.classify.store import ensure_live_classifier
from pipeline.db.models import Assessment, Classifier, Embedding, Flag


def test_assess_pending_stores_assessments_flags_and_embeddings(engine, db, posts, fake_embedder):
    summary = assess_pending(engine, embedder=fake_embedder)
    assert summary.assessed == len(posts)
    assert summary.model_calls > 0
    assessments = db.scalars(sa.select(Assessment)).all()
    assert len(assessments) == len(posts)
    first = next(a for a in assessments if a.post_id == posts[0].id)
    assert first.policy_version.startswith("policy-")
    assert set(first.scores) == {"partisan", "government_policy", "vulgar", "self_serving"}
    assert 0.0 <= first.risk <= 1.0
    assert first.explanation["categories"]["partisan"]["nearest_exemplars"]
    assert first.explanation["disclaimer_stripped"] is True
    assert db.scalar(sa.select(sa.func.count()).select_from(Embedding)) >= len(posts)
    flags = db.scalars(sa.select(Flag)).all()
    assert summary.flags_created == len(flags)
    assert {f.category for f in flags} >= {"vulgar"}


def test_second_pass_assesses_nothing_and_runs_no_model(engine, db, posts, fake_embedder):
    assess_pending(engine, embedder=fake_embedder)
    calls = fake_embedder.calls
    again = assess_pending(engine, embedder=fake_embedder)
    assert again.assessed == 0 and again.flags_created == 0
    assert fake_embedder.calls == calls


def test_ensure_live_classifier_installs_shipped_once(db):
    first = ensure_live_classifier(db, model_id="fake-bow")
    db.commit()
    second = ensure_live_classifier(db, model_id="fake-bow")
    assert first.id == second.id
    assert first.params["kind"] == "shipped"
    assert db.scalar(sa.select(sa.func.count()).select_from(Classifier)) == 1
