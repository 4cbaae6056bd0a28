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
from pipeline.classify.core.evaluate import metrics, predict_label
from pipeline.classify.core.scoring import Head, compute_features, hashed_text_features, head_input
from pipeline.errors import InputError


@dataclass
class TrainResult:
    head: Head
    thresholds: dict[str, float]
    metrics: dict[str, Any]
    mapping: dict[str, list[str]]


def _threshold(scores: np.ndarray, positive: np.ndarray, target: float) -> float:
    """The threshold with the best F1, raised where needed until precision reaches
    ``target`` (if it can)."""
    order = np.argsort(-scores)
    s, pos = scores[order], positive[order].astype(float)
    tp = np.cumsum(pos)
    k = np.arange(1, len(s) + 1)
    precision = tp / k
    recall = tp / max(pos.sum(), 1)
    f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0)
    best = int(np.argmax(f1))
    if precision[best] < target:
        ok = np.nonzero((precision >= target) & (k <= best + 1))[0]
        if len(ok):
            best = int(ok.max())
    # never so low that noise is flagged, never so high that nothing is
    return float(np.clip(s[best], 0.2, 0.95))


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
) -> TrainResult:
    """Fit on all rows; thresholds and metrics come from out-of-fold predictions.

    With ``texts``, hashed word and character n-grams join the dense features (a
    vocabulary-free bag of words that catches wording the sentence embedding smooths over)."""
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
    thresholds: dict[str, float] = {}
    for j, label in enumerate(head.labels):
        for cat in mapping.get(label, []):
            t = _threshold(oof[:, j], y == label, target_precision)
            thresholds[cat] = round(min(thresholds.get(cat, 1.0), t), 4)
    predicted = []
    for row in oof:
        scores: dict[str, float] = {}
        for j, label in enumerate(head.labels):
            for cat in mapping.get(label, []):
                scores[cat] = max(scores.get(cat, 0.0), float(row[j]))
        predicted.append(predict_label(scores, thresholds, mapping))
    found = metrics(list(y), predicted, sorted(mapping, key=lambda k: (not mapping[k], k)))
    found.update({"folds": folds, "target_precision": target_precision, "c": c})
    return TrainResult(head, thresholds, found, mapping)


def features_for(assessor: Assessor, texts: Sequence[str], vectors: np.ndarray) -> np.ndarray:
    feats = compute_features(vectors, list(texts), assessor.policy, assessor.index)
    return head_input(vectors, feats, assessor.policy)


def new_version(result: TrainResult, policy_version: str, model_id: str) -> str:
    digest = hashlib.sha256(
        json.dumps(
            [result.head.to_params(), result.thresholds, policy_version, model_id],
            sort_keys=True,
        ).encode()
    ).hexdigest()[:10]
    return f"trained-{datetime.now(UTC):%Y%m%d%H%M%S}-{digest}"
