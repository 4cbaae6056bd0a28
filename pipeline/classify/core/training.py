"""Train a classifier version: a logistic-regression head on [embedding, policy features],
thresholds for a target precision, out-of-fold metrics; stored as a ``classifier`` row.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from pipeline.classify.core.assessor import Assessor
from pipeline.classify.core.evaluate import metrics
from pipeline.classify.core.holdout import (
    by_lang,
    grouped_estimate,
    label_order,
    pick_thresholds,
    predict_labels,
    sklearn_fitter,
)
from pipeline.classify.core.scoring import Head, compute_features, hashed_text_features, head_input
from pipeline.errors import InputError


@dataclass
class TrainResult:
    head: Head
    thresholds: dict[str, float]
    metrics: dict[str, Any]
    mapping: dict[str, list[str]]


def _width(x: np.ndarray, texts: Sequence[str] | None) -> int:
    """Columns of the full design: the dense features, then the hashed text features."""
    return x.shape[1] + (hashed_text_features([""]).shape[1] if texts is not None else 0)


def _design(x: np.ndarray, texts: Sequence[str] | None) -> Any:
    if texts is None:
        return x
    return sparse.hstack([sparse.csr_matrix(x), hashed_text_features(list(texts))]).tocsr()


def train_head(
    x: np.ndarray,
    labels: Sequence[str],
    mapping: dict[str, list[str]],
    *,
    texts: Sequence[str] | None = None,
    target_precision: float = 0.6,
    c: float = 1.0,
    folds: int = 5,
    seed: int = 0,
    groups: Sequence[str] | None = None,
    langs: Sequence[str] | None = None,
) -> TrainResult:
    """Fit on all rows; thresholds and metrics come from out-of-fold predictions.

    With ``texts``, hashed word and character n-grams join the dense features (a
    vocabulary-free bag of words that catches wording the sentence embedding smooths over).
    With ``groups`` (each row's source), ``metrics["grouped"]`` is the estimate with whole
    sources held out (``holdout.grouped_estimate``; None under three sources); with ``langs``,
    ``metrics["by_lang"]`` splits the k-fold figure by language. The top-level figures are the
    k-fold ones, also under ``metrics["kfold"]``."""
    y = np.asarray(labels)
    classes, counts = np.unique(y, return_counts=True)
    if len(classes) < 2:
        raise InputError("training needs at least two different labels")
    folds = int(min(folds, counts.min()))
    if folds < 2:
        raise InputError("training needs at least two rows of every label")
    design = _design(x, texts)
    # Fit on the columns some row uses: an all-zero column's weight stays exactly 0 under the L2
    # penalty (its gradient is 0 from the start), so leaving it out gives the same model, and
    # the optimizer works on a few thousand hashed columns instead of 2 x 65,536.
    used = np.unique(design.indices) if sparse.issparse(design) else np.arange(design.shape[1])
    design = design[:, used]
    model = LogisticRegression(C=c, max_iter=3000)
    cv = StratifiedKFold(folds, shuffle=True, random_state=seed)
    oof = cross_val_predict(model, design, y, cv=cv, method="predict_proba")
    model.fit(design, y)
    dense = x.shape[1]
    coef = np.zeros((model.coef_.shape[0], _width(x, texts)), dtype=np.float32)
    coef[:, used] = model.coef_
    head = Head(
        coef=coef[:, :dense],
        intercept=model.intercept_.astype(np.float32),
        labels=[str(label) for label in model.classes_],
        categories={k: list(v) for k, v in mapping.items()},
        hash_coef=coef[:, dense:] if texts is not None else None,
    )
    thresholds = pick_thresholds(oof, y, head.labels, mapping, target_precision)
    predicted = predict_labels(oof, head.labels, thresholds, mapping)
    order = label_order(mapping)
    found = metrics(list(y), predicted, order)
    found.update({"folds": folds, "target_precision": target_precision, "c": c})
    found["kfold"] = {k: v for k, v in found.items() if k not in ("target_precision", "c")}
    if langs is not None:
        found["by_lang"] = by_lang(list(y), predicted, langs, order)
    grouped = None
    if groups is not None:
        grouped = grouped_estimate(
            sklearn_fitter(model, design, y, head.labels),
            y,
            head.labels,
            mapping,
            groups,
            target_precision=target_precision,
            seed=seed,
            langs=langs,
        )
    if grouped is not None:
        found["grouped"] = grouped
    return TrainResult(head, thresholds, found, mapping)


def features_for(assessor: Assessor, texts: Sequence[str], vectors: np.ndarray) -> np.ndarray:
    feats = compute_features(vectors, list(texts), assessor.policy, assessor.index)
    return head_input(vectors, feats, assessor.policy)


def new_version(
    result: TrainResult, policy_version: str, model_id: str, *, prefix: str = "trained"
) -> str:
    digest = hashlib.sha256(
        json.dumps(
            [result.head.to_params(), result.thresholds, policy_version, model_id],
            sort_keys=True,
        ).encode()
    ).hexdigest()[:10]
    return f"{prefix}-{datetime.now(UTC):%Y%m%d%H%M%S}-{digest}"
