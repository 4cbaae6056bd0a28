"""Held-out estimates of a trained head: thresholds and labels from out-of-fold scores, and
the estimate with whole sources held out.

Stratified k-fold folds mix sources: near-duplicate posts and a source's house style fall on
both sides of a fold, so the k-fold figure says how the head does on more posts like the ones
it was trained on. Holding out whole sources (``StratifiedGroupKFold`` over the rows'
``source``: every row of a source falls in the same fold) asks how it does on posts from
elsewhere: a community, platform or house style no training row came from. It is the
pessimistic figure (each source is judged by a head that never saw its like); new posts from
the sources trained on fall between the two.

Thresholds in the grouped estimate are chosen out-of-fold too: the rows of each held-out fold
are labeled with thresholds picked (by the same rule as the stored ones) on the out-of-fold
scores of the other folds, so no row is judged by a threshold fitted on its own score. The
k-fold figure keeps the stored thresholds, picked on all out-of-fold scores.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import StratifiedGroupKFold

from pipeline.classify.core.evaluate import metrics, predict_label

MIN_SOURCES = 3  # with two sources, "held out" is one source judged by a head of the other
MAX_GROUPED_FOLDS = 5

# (training rows, held-out rows) -> probabilities of the held-out rows, one column per class
FitProba = Callable[[np.ndarray, np.ndarray], np.ndarray]


def threshold(scores: np.ndarray, positive: np.ndarray, target: float) -> float:
    """The threshold with the best F1, raised where needed until precision reaches
    ``target`` (if it can)."""
    order = np.argsort(-scores)
    s, pos = scores[order], positive[order].astype(float)
    tp = np.cumsum(pos)
    k = np.arange(1, len(s) + 1)
    precision = tp / k
    recall = tp / max(pos.sum(), 1)
    with np.errstate(invalid="ignore"):  # 0/0 where neither: np.where takes the 0
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0)
    best = int(np.argmax(f1))
    if precision[best] < target:
        ok = np.nonzero((precision >= target) & (k <= best + 1))[0]
        if len(ok):
            best = int(ok.max())
    # never so low that noise is flagged, never so high that nothing is
    return float(np.clip(s[best], 0.2, 0.95))


def pick_thresholds(
    proba: np.ndarray,
    y: np.ndarray,
    classes: Sequence[str],
    mapping: Mapping[str, list[str]],
    target_precision: float,
) -> dict[str, float]:
    """Per category, the lowest threshold of the labels mapped to it."""
    thresholds: dict[str, float] = {}
    for j, label in enumerate(classes):
        for cat in mapping.get(label, []):
            t = threshold(proba[:, j], y == label, target_precision)
            thresholds[cat] = round(min(thresholds.get(cat, 1.0), t), 4)
    return thresholds


def predict_labels(
    proba: np.ndarray,
    classes: Sequence[str],
    thresholds: Mapping[str, float],
    mapping: Mapping[str, list[str]],
) -> list[str]:
    """Each row's label as evaluation reads it: a category's score is the highest probability
    of the labels mapped to it."""
    out = []
    for row in proba:
        scores: dict[str, float] = {}
        for j, label in enumerate(classes):
            for cat in mapping.get(label, []):
                scores[cat] = max(scores.get(cat, 0.0), float(row[j]))
        out.append(predict_label(scores, thresholds, mapping))
    return out


def label_order(mapping: Mapping[str, list[str]]) -> list[str]:
    """Labels that flag something first, then the no-flag ones, each alphabetically."""
    return sorted(mapping, key=lambda k: (not mapping[k], k))


def by_lang(
    truth: Sequence[str], predicted: Sequence[str], langs: Sequence[str], order: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """Macro-F1 and rows per language (over the labels present in that language)."""
    out = {}
    for lang in sorted(set(langs)):
        idx = [i for i, x in enumerate(langs) if x == lang]
        found = metrics([truth[i] for i in idx], [predicted[i] for i in idx], order)
        out[lang] = {"macro_f1": found["macro_f1"], "rows": len(idx)}
    return out


def sklearn_fitter(model: Any, design: Any, y: np.ndarray, classes: Sequence[str]) -> FitProba:
    """Fit a fresh copy of ``model`` on the training rows; a class the training rows lack gets
    probability 0 (and a training part of one class predicts it with certainty)."""
    column = {label: j for j, label in enumerate(classes)}

    def fit(train: np.ndarray, test: np.ndarray) -> np.ndarray:
        out = np.zeros((len(test), len(classes)))
        present = np.unique(y[train])
        if len(present) == 1:
            out[:, column[str(present[0])]] = 1.0
            return out
        fitted = clone(model).fit(design[train], y[train])
        out[:, [column[str(c)] for c in fitted.classes_]] = fitted.predict_proba(design[test])
        return out

    return fit


def grouped_estimate(
    fit_proba: FitProba,
    y: np.ndarray,
    classes: Sequence[str],
    mapping: Mapping[str, list[str]],
    groups: Sequence[str],
    *,
    target_precision: float,
    seed: int = 0,
    langs: Sequence[str] | None = None,
) -> dict[str, Any] | None:
    """metrics() of predictions with whole sources held out, or None under ``MIN_SOURCES``.

    Folds: ``min(5, sources)``, from ``StratifiedGroupKFold`` (sources spread so that each
    fold's label mix stays near the whole's)."""
    sources = sorted(set(groups))
    if len(sources) < MIN_SOURCES:
        return None
    cv = StratifiedGroupKFold(min(MAX_GROUPED_FOLDS, len(sources)), shuffle=True, random_state=seed)
    folds = [test for _, test in cv.split(np.zeros(len(y)), y, list(groups)) if len(test)]
    proba = np.zeros((len(y), len(classes)))
    fold_of = np.zeros(len(y), dtype=int)
    everything = np.arange(len(y))
    for k, test in enumerate(folds):
        proba[test] = fit_proba(np.setdiff1d(everything, test), test)
        fold_of[test] = k
    predicted: list[str] = [""] * len(y)
    for k in range(len(folds)):
        inside = fold_of == k
        thresholds = pick_thresholds(proba[~inside], y[~inside], classes, mapping, target_precision)
        for i, label in zip(
            np.nonzero(inside)[0],
            predict_labels(proba[inside], classes, thresholds, mapping),
            strict=True,
        ):
            predicted[i] = label
    truth = [str(v) for v in y]
    order = label_order(mapping)
    found = metrics(truth, predicted, order, list(groups))
    found.update({"groups": len(sources), "folds": len(folds)})
    if langs is not None:
        found["by_lang"] = by_lang(truth, predicted, langs, order)
    return found
