"""The one place that picks and loads models: the configured embedder, and the fast path's
two-stage model; each loaded once per process.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pipeline.classify.core.vectors import Embedder
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


def get_embedder() -> Embedder:
    """The configured model (``Settings.model``), loaded once per process."""

    settings = get_settings()
    return _load(settings.model, settings.embed_batch_size)


def get_fast_embedders() -> tuple[Embedder, Embedder]:
    """The fast path's models, loaded once per process: ``(full, screen)``.

    Both are one ``pipeline.classify.embedding.layered.LayeredModel`` of the configured model (in the precision
    of ``fast_path_precision``): ``screen`` runs its first ``fast_path_layers`` layers, and
    ``full`` finishes what the screen started for the posts that need it."""

    settings = get_settings()
    precision = settings.fast_path_precision
    model = _load_layered(
        settings.model,
        settings.fast_path_layers,
        settings.fast_path_batch_size,
        "int8" if precision == "auto" else precision,
        str(settings.model_cache or settings.data_dir / "models"),
    )
    return model, model.screen
