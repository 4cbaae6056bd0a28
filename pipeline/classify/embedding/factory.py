"""The one place that picks and loads models: a classifier version's embedder (the configured
model, or a version's own, e.g. a fine-tuned one), and the fast path's two-stage model; each
loaded once per process.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pipeline.classify.core.vectors import Embedder
from pipeline.classify.embedding.base import model_cache
from pipeline.classify.embedding.layered import LayeredModel
from pipeline.classify.embedding.sentence_transformer import SentenceTransformerEmbedder
from pipeline.config import get_settings


@lru_cache(maxsize=4)
def _load(model: str, batch_size: int) -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(model, batch_size=batch_size)


@lru_cache(maxsize=2)
def _load_layered(model: str, layers: int, batch_size: int, precision: str, cache: str):
    return LayeredModel(
        model, layers=layers, batch_size=batch_size, precision=precision, cache=Path(cache)
    )


def get_embedder(model_id: str | None = None) -> Embedder:
    """The model ``model_id`` (a classifier version's; by default the configured
    ``Settings.model``), loaded once per process. A fine-tuned id (``ft-<key>``) loads from the
    model cache."""

    settings = get_settings()
    return _load(model_id or settings.model, settings.embed_batch_size)


def get_fast_embedders(model_id: str | None = None) -> tuple[Embedder, Embedder]:
    """The fast path's models of ``model_id`` (by default the configured model), loaded once
    per process: ``(full, screen)``.

    Both are one ``pipeline.classify.embedding.layered.LayeredModel`` of that model (in the precision
    of ``fast_path_precision``): ``screen`` runs its first ``fast_path_layers`` layers, and
    ``full`` finishes what the screen started for the posts that need it."""

    settings = get_settings()
    precision = settings.fast_path_precision
    model = _load_layered(
        model_id or settings.model,
        settings.fast_path_layers,
        settings.fast_path_batch_size,
        "int8" if precision == "auto" else precision,
        str(model_cache()),
    )
    return model, model.screen
