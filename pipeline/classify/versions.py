"""Classifier versions: train, list, activate, shadow, compare, evaluate, export decisions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from pipeline.audit import trail
from pipeline.classify.core.assessor import Assessor
from pipeline.classify.core.evaluate import metrics, predict_label
from pipeline.classify.core.labeled import (
    NONE,
    parse_mapping,
    read_labeled,
    read_training_rows,
)
from pipeline.classify.core.risk import Context
from pipeline.classify.core.training import features_for, new_version, train_head
from pipeline.classify.core.vectors import Embedder
from pipeline.classify.embedding.base import fine_tuned_location, is_fine_tuned
from pipeline.classify.embedding.cache import embed_cached
from pipeline.classify.embedding.factory import get_embedder
from pipeline.classify.finetune.recipe import Recipe
from pipeline.classify.finetune.register import register_fine_tuned
from pipeline.classify.guidance import CATEGORY_NAMES, load_policy
from pipeline.classify.store import assessor_for, ensure_live_classifier
from pipeline.db.models import Assessment, Classifier, Flag, Post, Review
from pipeline.errors import InputError

Progress = Callable[[int, int], None]


def get_version(session: Session, version: str) -> Classifier:
    row = session.scalar(sa.select(Classifier).where(Classifier.version == version))
    if row is None:
        known = session.scalars(sa.select(Classifier.version).order_by(Classifier.id)).all()
        hint = f" (known: {', '.join(known[-5:])})" if known else ""
        raise InputError(f"no classifier version {version!r}{hint}")
    return row


def vectors_for(
    session: Session,
    embedder: Embedder,
    texts: Sequence[str],
    progress: Progress | None = None,
    chunk: int = 512,
) -> np.ndarray:
    parts = []
    for start in range(0, len(texts), chunk):
        parts.append(embed_cached(session, embedder, texts[start : start + chunk]))
        session.flush()
        if progress:
            progress(min(start + chunk, len(texts)), len(texts))
    return np.vstack(parts) if parts else np.zeros((0, embedder.dim), dtype=np.float32)


def _prepared(
    session: Session, assessor: Assessor, rows: list[dict[str, Any]], embedder: Embedder, progress
) -> tuple[list[str], np.ndarray]:
    texts = [assessor.policy.strip_disclaimers(r["text"]) for r in rows]
    return texts, vectors_for(session, embedder, texts, progress)


def train_version(
    session: Session,
    paths: Sequence[Path | str] | Path | str,
    maps: Sequence[str] | None,
    *,
    activate: bool = False,
    target_precision: float = 0.6,
    c: float = 1.0,
    embedder: Embedder | None = None,
    progress: Progress | None = None,
    actor: str = "system",
    fine_tune: Recipe | bool = False,
) -> Classifier:
    """Train a candidate version on one or more labeled files (``read_training_rows``).

    Metrics: k-fold and, with rows from three or more sources, grouped by source (see
    ``pipeline.classify.core.holdout``), per language, and what was trained on.

    ``fine_tune`` (True or a ``Recipe``): fine-tune the model itself instead of fitting a head
    on its frozen vectors (``pipeline.classify.finetune``); the version's model is then the
    fine-tuned one, estimated on a held-out part."""
    files = [paths] if isinstance(paths, str | Path) else list(paths)
    data = read_training_rows(files, maps)
    if fine_tune:
        recipe = fine_tune if isinstance(fine_tune, Recipe) else Recipe()
        # Reach the database before minutes of training: a missing schema fails now.
        ensure_live_classifier(session, model_id=embedder.model_id if embedder else None)
        row = register_fine_tuned(
            session,
            data,
            recipe,
            base_model=embedder.model_id if embedder else None,
            target_precision=target_precision,
            progress=progress,
            actor=actor,
        )
        if activate:
            set_status(session, row.version, "live", actor=actor)
        return row
    rows, labels, mapping = data.rows, data.labels, data.mapping
    embedder = embedder or get_embedder()
    policy = load_policy()
    base = assessor_for(
        session, ensure_live_classifier(session, model_id=embedder.model_id), embedder, policy
    )
    texts, vectors = _prepared(session, base, rows, embedder, progress)
    x = features_for(base, texts, vectors)
    result = train_head(
        x,
        labels,
        mapping,
        texts=texts,
        target_precision=target_precision,
        c=c,
        groups=data.sources,
        langs=data.langs,
    )
    thresholds = {cat: policy.threshold(cat) for cat in policy.categories}
    thresholds.update(result.thresholds)
    row = Classifier(
        version=new_version(result, policy.version, embedder.model_id),
        policy_version=policy.version,
        model_id=embedder.model_id,
        status="candidate",
        params={"kind": "trained", "head": result.head.to_params(), "mapping": mapping},
        thresholds=thresholds,
        metrics={
            **result.metrics,
            "trained_on": " + ".join(data.files),
            "rows_trained": len(rows),
            "training_data": data.summary(),
        },
    )
    session.add(row)
    session.flush()
    trail.record(
        session,
        "classifier.train",
        actor=actor,
        subject_type="classifier",
        subject_id=row.version,
        rows=len(rows),
        macro_f1=result.metrics["macro_f1"],
    )
    if activate:
        set_status(session, row.version, "live", actor=actor)
    return row


def set_status(session: Session, version: str, status: str, *, actor: str = "system") -> Classifier:
    """Make a version live (the previous live one is retired) or shadow."""
    row = get_version(session, version)
    if status in ("live", "shadow") and is_fine_tuned(row.model_id):
        fine_tuned_location(row.model_id)  # a version that runs needs its model at hand
    if status == "live":
        for other in session.scalars(sa.select(Classifier).where(Classifier.status == "live")):
            if other.id != row.id:
                other.status = "retired"
        session.flush()
        row.activated_at = datetime.now(UTC)
    elif status == "shadow" and row.status == "live":
        raise InputError(f"{version} is live; activate another version first")
    row.status = status
    session.flush()
    trail.record(
        session,
        f"classifier.{status}",
        actor=actor,
        subject_type="classifier",
        subject_id=version,
    )
    return row


def list_versions(session: Session) -> list[Classifier]:
    return list(session.scalars(sa.select(Classifier).order_by(Classifier.id)))


def compare(session: Session, *, limit: int = 20) -> dict[str, Any]:
    """Where the shadow classifier's top flagged category differs from the live one's."""
    live = session.scalar(sa.select(Classifier).where(Classifier.status == "live"))
    shadow = session.scalar(
        sa.select(Classifier).where(Classifier.status == "shadow").order_by(Classifier.id.desc())
    )
    if live is None or shadow is None:
        raise InputError(
            "compare needs a live and a shadow classifier (impartial classifier shadow V)"
        )
    a_live, a_shadow = sa.orm.aliased(Assessment), sa.orm.aliased(Assessment)
    pairs = session.execute(
        sa.select(a_live, a_shadow)
        .join(
            a_shadow,
            sa.and_(
                a_shadow.post_id == a_live.post_id, a_shadow.content_hash == a_live.content_hash
            ),
        )
        .where(a_live.classifier_id == live.id, a_shadow.classifier_id == shadow.id)
        .order_by(a_live.post_id)
    ).all()

    lt = {**load_policy_thresholds(), **live.thresholds}
    st = {**load_policy_thresholds(), **shadow.thresholds}
    disagreements = []
    for a, b in pairs:
        la, lb = top_category(a.scores, lt), top_category(b.scores, st)
        if la != lb:
            disagreements.append(
                {
                    "post_id": a.post_id,
                    "live": la,
                    "shadow": lb,
                    "live_risk": round(a.risk, 3),
                    "shadow_risk": round(b.risk, 3),
                }
            )
    return {
        "live": live.version,
        "shadow": shadow.version,
        "compared": len(pairs),
        "disagree": len(disagreements),
        "examples": disagreements[:limit],
    }


def top_category(scores: dict[str, float], thresholds: dict[str, float]) -> str:
    """The highest-scoring category at or over its threshold, or ``none``."""
    over = [c for c, s in scores.items() if s >= thresholds.get(c, 1.01)]
    return max(over, key=lambda c: scores[c]) if over else "none"


def load_policy_thresholds() -> dict[str, float]:
    policy = load_policy()
    return {c: policy.threshold(c) for c in policy.categories}


def evaluate_file(
    session: Session,
    path: Path | str,
    maps: Sequence[str] | None,
    *,
    version: str | None = None,
    embedder: Embedder | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    rows = read_labeled(path)
    labels = [r["label"] for r in rows]
    mapping = parse_mapping(maps, labels)
    classifier = (
        get_version(session, version)
        if version
        else ensure_live_classifier(session, model_id=embedder.model_id if embedder else None)
    )
    # a version is judged on its own model's vectors (a fine-tuned version's are its own)
    embedder = embedder or get_embedder(classifier.model_id)
    assessor = assessor_for(session, classifier, embedder)
    texts, vectors = _prepared(session, assessor, rows, embedder, progress)
    # Rows may carry context (audience, seniority); without it the factors are neutral.
    contexts = [
        Context(
            audience=r.get("audience") if isinstance(r.get("audience"), int) else None,
            seniority=r.get("seniority") if isinstance(r.get("seniority"), str) else None,
        )
        for r in rows
    ]
    judgements = assessor.judge(texts, vectors, contexts)
    predicted = [predict_label(j.scores, assessor.thresholds, mapping) for j in judgements]
    order = sorted(mapping, key=lambda k: (not mapping[k], k))
    groups = [str(r["source"]) for r in rows] if all("source" in r for r in rows) else None
    out = metrics(labels, predicted, order, groups)
    out.update({"classifier": classifier.version, "policy_version": assessor.policy.version})
    return out


def export_decisions(session: Session) -> list[dict[str, Any]]:
    """Reviewer decisions as labeled rows (one per post) for ``impartial train``.

    Each flag's latest decision counts (none while a reopen is the latest: the flag awaits a
    new one). A post's label is the category of its highest-scoring flag that a reviewer upheld
    (advise, escalate or refer): the guidance clause the decision names, which is the flag's
    category unless the reviewer named another, and for a quality sample the clause of concern
    (a miss, the most useful row to learn from). Otherwise it is ``none``, when reviewers found
    no concern. Official-language parity is about a missing translation, not the text: such
    decisions are listed in ``decisions`` but never give the label, and a post with no other
    decision is left out.
    """
    latest = (
        sa.select(Review.flag_id, sa.func.max(Review.id).label("rid"))
        .group_by(Review.flag_id)
        .subquery()
    )
    rows = session.execute(
        sa.select(Post.id, Post.text, Post.lang, Flag.category, Review.decision, Review.clause)
        .join(latest, latest.c.flag_id == Flag.id)
        .join(Review, Review.id == latest.c.rid)
        .join(Post, Post.id == Flag.post_id)
        .where(Post.text.is_not(None), Post.text_purged_at.is_(None), Review.decision != "reopen")
        .order_by(Post.id, Flag.score.desc(), Flag.id)
    ).all()
    by_post: dict[int, dict[str, Any]] = {}
    labeled: set[int] = set()
    for post_id, text, lang, category, decision, clause in rows:
        item = by_post.setdefault(
            post_id,
            {"id": f"post:{post_id}", "text": text, "label": NONE, "lang": lang, "decisions": {}},
        )
        item["decisions"][category] = decision
        if category not in CATEGORY_NAMES and category != NONE:
            continue  # official-language parity
        labeled.add(post_id)
        if decision != "no_concern" and item["label"] == NONE:
            item["label"] = clause if clause in CATEGORY_NAMES else category
    return [item for post_id, item in by_post.items() if post_id in labeled]
