"""Evaluation against labeled posts, with the issue's label semantics.

An item's predicted label is the dataset label whose categories contain its highest-scoring
flagged category, or the label mapped to ``none`` when nothing is flagged; a flagged category
that no mapping names counts as no flag.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from pipeline.classify.core.labeled import none_label


def predict_label(
    scores: Mapping[str, float],
    thresholds: Mapping[str, float],
    mapping: Mapping[str, list[str]],
) -> str:
    label_of: dict[str, str] = {}
    for label, cats in mapping.items():
        for c in cats:
            label_of.setdefault(c, label)
    flagged = [c for c, s in scores.items() if c in label_of and s >= thresholds.get(c, 1.01)]
    if not flagged:
        return none_label(mapping)
    return label_of[max(flagged, key=lambda c: scores[c])]


def metrics(
    truth: Sequence[str],
    predicted: Sequence[str],
    labels: Sequence[str],
    groups: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Per-label precision/recall/F1, macro-F1, the confusion matrix (rows = truth)."""
    labels = list(labels)
    p, r, f, n = precision_recall_fscore_support(truth, predicted, labels=labels, zero_division=0)
    per_label = {
        label: {
            "precision": round(float(p[i]), 4),
            "recall": round(float(r[i]), 4),
            "f1": round(float(f[i]), 4),
            "support": int(n[i]),
        }
        for i, label in enumerate(labels)
    }
    present = [i for i, label in enumerate(labels) if n[i] > 0]
    macro = sum(float(f[i]) for i in present) / len(present) if present else 0.0
    out: dict[str, Any] = {
        "macro_f1": round(macro, 4),
        "accuracy": round(
            sum(t == q for t, q in zip(truth, predicted, strict=True)) / len(truth), 4
        )
        if truth
        else 0.0,
        "per_label": per_label,
        "labels": labels,
        "confusion": confusion_matrix(truth, predicted, labels=labels).tolist(),
        "rows": len(truth),
    }
    if groups is not None:
        by_group: dict[str, list[int]] = {}
        for i, g in enumerate(groups):
            by_group.setdefault(g, []).append(i)
        out["per_source"] = {
            g: {
                "rows": len(idx),
                "accuracy": round(sum(truth[i] == predicted[i] for i in idx) / len(idx), 4),
            }
            for g, idx in sorted(by_group.items())
        }
    return out
