"""The sentence-transformers model on CPU: batched, length-sorted, normalized."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence

import numpy as np

from pipeline.classify.core.vectors import normalized
from pipeline.classify.embedding.base import DEFAULT_MODEL, model_location


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
