"""What the core asks of a sentence-embedding model: the ``Embedder`` protocol, and unit-length
rows (every vector the classifiers compare is L2-normalized, in float32).

The implementations live in ``pipeline.classify.embedding``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np


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
