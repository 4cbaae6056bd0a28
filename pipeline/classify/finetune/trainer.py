"""The PyTorch loop: a sentence-transformers model and a linear head trained together.

The head reads the model's own output (mean pooling, then the model's ``Normalize``), i.e. the
unit-length vectors the product stores and compares, so the trained head is a classifier
version's head over stored vectors, unchanged. Same seed and rows: same model (on the same
device and library versions).
"""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from pipeline.classify.finetune.batches import batch_count, length_buckets
from pipeline.classify.finetune.recipe import Recipe
from pipeline.errors import InputError

Progress = Callable[[int, int], None]
log = logging.getLogger(__name__)


@dataclass
class Tuned:
    """A fine-tuned model (a ``SentenceTransformer``) and its head over the model's vectors."""

    model: Any
    coef: np.ndarray  # (labels, dim)
    intercept: np.ndarray  # (labels,)
    device: str
    seconds: float

    def probabilities(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Label probabilities of ``texts`` (rows), through the stored vectors' path."""
        vectors = self.model.encode(
            list(texts),
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return softmax(np.asarray(vectors, dtype=np.float64) @ self.coef.T + self.intercept)


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


def device() -> str:
    """A CUDA device when PyTorch sees one, else the CPU."""
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def steps(rows: int, recipe: Recipe) -> int:
    return recipe.epochs * batch_count(rows, recipe.batch_size)


def load(location: str, recipe: Recipe, on: str) -> Any:
    """The base model, checked and set up for training: a BERT-style encoder with mean pooling,
    ending in ``Normalize`` (added when the model has none)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    try:  # sentence-transformers 6 moved the modules
        from sentence_transformers.sentence_transformer.modules import Normalize
    except ImportError:
        from sentence_transformers.models import Normalize

    model = SentenceTransformer(location, device=on)
    pooling = model[1] if len(model) > 1 else None
    if getattr(pooling, "pooling_mode", None) != "mean":
        raise InputError(
            "fine-tuning needs a sentence-transformers model with mean pooling "
            f"(BERT-style, like the default); {location} is not one"
        )
    if not any(isinstance(m, Normalize) for m in model):
        model.append(Normalize())
    model.max_seq_length = recipe.max_seq_length
    return model


def fine_tune(
    location: str,
    texts: Sequence[str],
    y: np.ndarray,
    n_labels: int,
    recipe: Recipe,
    progress: Progress | None = None,
    *,
    on: str | None = None,
) -> Tuned:
    """Fine-tune the model at ``location`` with a linear head on ``texts`` (``y``: label
    indices in ``range(n_labels)``). ``progress(done, total)`` is called after every step."""
    import torch
    from transformers import get_linear_schedule_with_warmup

    on = on or device()
    started = time.perf_counter()
    random.seed(recipe.seed)
    np.random.seed(recipe.seed)
    torch.manual_seed(recipe.seed)
    if on == "cuda":
        torch.cuda.manual_seed_all(recipe.seed)
    model = load(location, recipe, on)
    dimension = getattr(model, "get_embedding_dimension", None) or (
        model.get_sentence_embedding_dimension
    )
    dim = int(dimension())
    head = torch.nn.Linear(dim, n_labels).to(on)
    counts = np.bincount(y, minlength=n_labels).astype(np.float64)
    # each label weighs as much in the loss as any other, however many rows it has
    weights = len(y) / (n_labels * np.maximum(counts, 1))
    loss_fn = torch.nn.CrossEntropyLoss(weight=torch.tensor(weights, dtype=torch.float32).to(on))
    optimizer = torch.optim.AdamW(
        [
            {"params": model.parameters(), "lr": recipe.lr},
            {"params": head.parameters(), "lr": recipe.head_lr},
        ],
        weight_decay=recipe.weight_decay,
    )
    total = steps(len(texts), recipe)
    schedule = get_linear_schedule_with_warmup(optimizer, int(recipe.warmup * total), total)
    lengths = [
        len(ids)
        for ids in model.tokenizer(list(texts), truncation=True, max_length=recipe.max_seq_length)[
            "input_ids"
        ]
    ]
    rng = np.random.default_rng(recipe.seed)
    target = torch.as_tensor(y, dtype=torch.long)
    done = 0
    model.train()
    for epoch in range(1, recipe.epochs + 1):
        losses = []
        for batch in length_buckets(lengths, recipe.batch_size, rng):
            features = _features(model, [texts[i] for i in batch], on)
            logits = recipe.scale * head(model(features)["sentence_embedding"])
            loss = loss_fn(logits, target[batch].to(on))
            loss.backward()
            torch.nn.utils.clip_grad_norm_([*model.parameters(), *head.parameters()], 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad(set_to_none=True)
            done += 1
            losses.append(float(loss.detach()))
            if progress:
                progress(done, total)
        log.info(
            "fine-tuning epoch %d/%d: mean loss %.4f, %.0f s so far on %s",
            epoch,
            recipe.epochs,
            float(np.mean(losses)),
            time.perf_counter() - started,
            on,
        )
    model.eval()
    return Tuned(
        model=model,
        coef=recipe.scale * head.weight.detach().cpu().numpy().astype(np.float64),
        intercept=recipe.scale * head.bias.detach().cpu().numpy().astype(np.float64),
        device=on,
        seconds=time.perf_counter() - started,
    )


def _features(model: Any, texts: list[str], on: str) -> dict[str, Any]:
    prepare = getattr(model, "preprocess", None) or model.tokenize
    return {k: v.to(on) if hasattr(v, "to") else v for k, v in prepare(texts).items()}
