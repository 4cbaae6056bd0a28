"""A fine-tuned version's estimate: thresholds and metrics from the held-out rows' probabilities.

The held-out rows are the only ones the model never saw, so both come from them: per category,
the threshold with the best F1 raised until precision reaches the target (the rule of a trained
head's out-of-fold thresholds); a category whose labels have no held-out row keeps the policy's
threshold, and the estimate says so. A category no label maps to is not scored by a fine-tuned
version (threshold ``NEVER``): the policy's similarity weights were set in the base model's
space, which fine-tuning has moved.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from pipeline.classify.core.evaluate import metrics
from pipeline.classify.core.holdout import by_lang, label_order, predict_labels, threshold

NEVER = 1.01  # over any probability: the category never flags


def thresholds_from(
    probs: np.ndarray,
    truth: Sequence[str],
    labels: Sequence[str],
    mapping: Mapping[str, list[str]],
    categories: Sequence[str],
    defaults: Mapping[str, float],
    target_precision: float,
) -> tuple[dict[str, float], dict[str, str]]:
    """Per-category thresholds, and where each came from (``held-out``, ``policy``, ``unmapped``)."""
    y = np.asarray(truth)
    thresholds: dict[str, float] = {}
    origin: dict[str, str] = {}
    for j, label in enumerate(labels):
        positive = y == label
        for cat in mapping.get(label, []):
            if not positive.any():
                continue
            t = threshold(probs[:, j], positive, target_precision)
            thresholds[cat] = round(min(thresholds.get(cat, 1.0), t), 4)
            origin[cat] = "held-out"
    mapped = {c for cats in mapping.values() for c in cats}
    for cat in categories:
        if cat not in mapped:
            thresholds[cat], origin[cat] = NEVER, "unmapped"
        elif cat not in thresholds:
            thresholds[cat], origin[cat] = float(defaults[cat]), "policy"
    return thresholds, origin


def held_out_metrics(
    probs: np.ndarray,
    truth: Sequence[str],
    labels: Sequence[str],
    mapping: Mapping[str, list[str]],
    thresholds: Mapping[str, float],
    *,
    sources: Sequence[str] | None = None,
    langs: Sequence[str] | None = None,
) -> dict[str, Any]:
    """``metrics()`` of the held-out rows (with ``per_source`` when ``sources`` is given) and
    macro-F1 per language under ``by_lang``."""
    predicted = predict_labels(probs, labels, thresholds, mapping)
    order = label_order(mapping)
    out = metrics(list(truth), predicted, order, sources)
    if langs is not None:
        out["by_lang"] = by_lang(list(truth), predicted, langs, order)
    return out
