"""A deterministic embedder for tests and the demo's fast runs: a hashed bag of words."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

from pipeline.classify.core.vectors import normalized


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
