"""A fine-tuned model as a classifier version: a candidate row whose model is the fine-tuned one.

The version's head is the fine-tuned head over the model's vectors, with zero weight on the
policy features: the ``Assessor`` runs it like any trained head (per-category probabilities,
thresholds, risk factors), and its nearest exemplars are computed in the fine-tuned space
because the exemplar vectors are cached per model id.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from pipeline.audit import trail
from pipeline.classify.core.labeled import TrainingSet
from pipeline.classify.core.scoring import Head, feature_width
from pipeline.classify.core.training import TrainResult, new_version
from pipeline.classify.finetune.recipe import Recipe
from pipeline.classify.finetune.run import FineTuned, fine_tune_rows
from pipeline.classify.guidance import load_policy
from pipeline.config import get_settings
from pipeline.db.models import Classifier

KIND = "fine-tuned"


def fine_tune_set(
    data: TrainingSet,
    recipe: Recipe,
    *,
    base_model: str | None = None,
    target_precision: float = 0.6,
    progress: Callable[[int, int], None] | None = None,
) -> FineTuned:
    """Fine-tune on a training set's rows as the classifier reads them (disclaimers set aside),
    or reuse the cached model of the same rows and recipe."""
    policy = load_policy()
    return fine_tune_rows(
        [policy.strip_disclaimers(t) for t in data.texts],
        data.labels,
        data.mapping,
        base_model=base_model or get_settings().model,
        recipe=recipe,
        categories=policy.categories,
        default_thresholds={c: policy.threshold(c) for c in policy.categories},
        target_precision=target_precision,
        sources=data.sources,
        langs=data.langs,
        progress=progress,
    )


def register_fine_tuned(
    session: Session,
    data: TrainingSet,
    recipe: Recipe,
    *,
    base_model: str | None = None,
    target_precision: float = 0.6,
    progress: Callable[[int, int], None] | None = None,
    actor: str = "system",
) -> Classifier:
    """Fine-tune (or reuse the cached model), then add and audit a candidate version."""
    policy = load_policy()
    tuned = fine_tune_set(
        data,
        recipe,
        base_model=base_model,
        target_precision=target_precision,
        progress=progress,
    )
    policy_columns = np.zeros((len(tuned.labels), feature_width(policy)), dtype=np.float32)
    head = Head(
        coef=np.hstack([tuned.coef, policy_columns]),
        intercept=tuned.intercept,
        labels=tuned.labels,
        categories={label: list(data.mapping.get(label, [])) for label in tuned.labels},
    )
    result = TrainResult(head, tuned.thresholds, tuned.metrics, data.mapping)
    first = version = new_version(result, policy.version, tuned.model_id, prefix="finetuned")
    again = 1
    while session.scalar(sa.select(Classifier.id).where(Classifier.version == version)):
        again += 1  # the same cached model registered twice within a second
        version = f"{first}-{again}"
    row = Classifier(
        version=version,
        policy_version=policy.version,
        model_id=tuned.model_id,
        status="candidate",
        params={
            "kind": KIND,
            "base_model": tuned.metrics["fine_tune"]["base_model"],
            "head": head.to_params(),
            "mapping": data.mapping,
        },
        thresholds=tuned.thresholds,
        metrics={
            **tuned.metrics,
            "training_data": data.summary(),
            "trained_on": " + ".join(data.files),
            "rows_trained": tuned.metrics["fine_tune"]["rows_trained"],
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
        kind=KIND,
        model_id=tuned.model_id,
        rows=len(data.rows),
        macro_f1=tuned.metrics["macro_f1"],
        reused=tuned.reused,
    )
    return row
