"""Fine-tune on labeled rows, estimate on the held-out part, keep the model in the cache.

The rows are split (``split``), the model fine-tuned on the training part and the held-out part
predicted: those probabilities are the estimate. With ``refit``, the model is then fine-tuned
again on every row (twice the time) and stored with the estimate of the first run. When the
cache already holds the model of the same rows and recipe, nothing is trained: the stored
held-out probabilities give the estimate again, for any mapping or target precision.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.classify.embedding.base import fine_tuned_folder, model_location
from pipeline.classify.finetune import folder as cache
from pipeline.classify.finetune import trainer
from pipeline.classify.finetune.estimate import held_out_metrics, thresholds_from
from pipeline.classify.finetune.recipe import FORMAT, Recipe, cache_key, data_hash
from pipeline.classify.finetune.split import Split, held_out_split
from pipeline.errors import InputError

Progress = Callable[[int, int], None]
REPORTED = (
    "epochs",
    "lr",
    "head_lr",
    "scale",
    "batch_size",
    "max_seq_length",
    "seed",
    "refit",
    "hold_out",
)


@dataclass
class FineTuned:
    model_id: str  # ft-<key>
    folder: Path
    labels: list[str]
    coef: np.ndarray  # (labels, dim): the head over the model's unit-length vectors
    intercept: np.ndarray
    thresholds: dict[str, float]
    metrics: dict[str, Any]
    reused: bool


def fine_tune_rows(
    texts: Sequence[str],
    truth: Sequence[str],
    mapping: Mapping[str, list[str]],
    *,
    base_model: str,
    recipe: Recipe,
    categories: Sequence[str],
    default_thresholds: Mapping[str, float],
    target_precision: float = 0.6,
    sources: Sequence[str] | None = None,
    langs: Sequence[str] | None = None,
    progress: Progress | None = None,
) -> FineTuned:
    """Fine-tune ``base_model`` on ``texts`` (as scored: disclaimers stripped) with labels
    ``truth``, or reuse the cached result of the same call."""
    labels = sorted(set(truth))
    if len(labels) < 2:
        raise InputError("fine-tuning needs at least two different labels")
    rows = [(t, y, s) for t, y, s in zip(texts, truth, sources or [""] * len(texts), strict=True)]
    key = cache_key(base_model, data_hash(rows), recipe)
    model_id = f"ft-{key}"
    folder = fine_tuned_folder(model_id)
    stored = cache.read_head(folder)
    reused = stored is not None
    if stored is None:
        stored = _train(texts, truth, labels, base_model, recipe, sources, progress)
        stored["model_id"] = model_id
        cache.save(stored.pop("model"), stored, folder)
    held = np.asarray(stored["split"]["held_out"], dtype=int)
    probs = np.asarray(stored["held_out_probabilities"], dtype=np.float64)
    held_truth = [truth[i] for i in held]
    thresholds, origin = thresholds_from(
        probs, held_truth, labels, mapping, categories, default_thresholds, target_precision
    )
    grouped = stored["split"]["grouped"]
    found = held_out_metrics(
        probs,
        held_truth,
        labels,
        mapping,
        thresholds,
        sources=[sources[i] for i in held] if grouped and sources else None,
        langs=[langs[i] for i in held] if langs is not None else None,
    )
    top = {k: v for k, v in found.items() if k not in ("per_source", "by_lang")}
    part = {**found, "held_out_sources": stored["split"]["sources"]}
    estimate: dict[str, Any] = {
        **top,
        "by_lang": found.get("by_lang", {}),
        "target_precision": target_precision,
        "thresholds_from": origin,
        "fine_tune": {
            "base_model": base_model,
            **{k: stored["recipe"].get(k) for k in REPORTED},
            "device": stored["device"],
            "seconds": stored["seconds"],
            "rows_trained": stored["rows_trained"],
            "rows_held_out": len(held),
            "cache_key": key,
            "reused": reused,
        },
    }
    if grouped:
        estimate["grouped"] = {**part, "groups": len(stored["split"]["sources"]), "folds": 1}
    else:
        estimate["holdout"] = {**part, "stratified": True}
    return FineTuned(
        model_id=model_id,
        folder=folder,
        labels=list(stored["labels"]),
        coef=np.asarray(stored["coef"], dtype=np.float32),
        intercept=np.asarray(stored["intercept"], dtype=np.float32),
        thresholds=thresholds,
        metrics=estimate,
        reused=reused,
    )


def _train(
    texts: Sequence[str],
    truth: Sequence[str],
    labels: list[str],
    base_model: str,
    recipe: Recipe,
    sources: Sequence[str] | None,
    progress: Progress | None,
) -> dict[str, Any]:
    """Fine-tune, predict the held-out part (and refit): ``head.json``'s content, plus the
    model under ``model``."""
    started = time.perf_counter()
    y = np.asarray([labels.index(v) for v in truth])
    by_source = sources if recipe.hold_out == "sources" else None
    split: Split = held_out_split(list(truth), by_source, recipe.seed)
    if len(set(y[split.train].tolist())) < len(labels):
        raise InputError("every label needs rows to train on beside the held-out ones")
    location = model_location(base_model)
    total = trainer.steps(len(split.train), recipe)
    total += trainer.steps(len(texts), recipe) if recipe.refit else 0

    def shifted(offset: int) -> Progress | None:
        if progress is None:
            return None
        return lambda done, _: progress(offset + done, total)

    first = trainer.fine_tune(
        location,
        [texts[i] for i in split.train],
        y[split.train],
        len(labels),
        recipe,
        shifted(0),
    )
    probs = first.probabilities([texts[i] for i in split.held_out])
    final, rows_trained = first, len(split.train)
    if recipe.refit:
        offset = trainer.steps(len(split.train), recipe)
        del first
        final = trainer.fine_tune(location, list(texts), y, len(labels), recipe, shifted(offset))
        rows_trained = len(texts)
    return {
        "format": FORMAT,
        "base_model": base_model,
        "labels": labels,
        "coef": final.coef.round(7).tolist(),
        "intercept": final.intercept.round(7).tolist(),
        "recipe": recipe.as_dict(),
        "device": final.device,
        "seconds": round(time.perf_counter() - started, 1),  # all of it: load, train, predict
        "rows_trained": rows_trained,
        "split": {
            "grouped": split.grouped,
            "sources": split.sources,
            "held_out": split.held_out.tolist(),
        },
        "held_out_probabilities": probs.round(6).tolist(),
        "model": final.model,
    }
