"""Shared helpers of the classifier benchmarks: data location and cached vectors."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
if not DATA.is_dir():  # a checkout nested one level deeper (e.g. a git worktree)
    DATA = next(
        (
            p / "shared" / "data"
            for p in Path(__file__).resolve().parents
            if (p / "shared" / "data").is_dir()
        ),
        DATA,
    )
MAPS = [
    "partisan=partisan,government_policy",
    "offensive=vulgar",
    "promotional=self_serving",
    "benign=none",
]


def read_rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def vectors(embedder, texts: list[str], cache_dir: Path | None) -> np.ndarray:
    """Embeddings of ``texts``; with ``cache_dir``, kept in a file keyed by texts + model."""
    if cache_dir is None:
        return embedder.encode(texts)
    key = hashlib.sha256(("\n".join(texts) + embedder.model_id).encode()).hexdigest()[:16]
    path = cache_dir / f"vectors-{key}.npy"
    if path.exists():
        return np.load(path)
    cache_dir.mkdir(parents=True, exist_ok=True)
    out = embedder.encode(texts)
    np.save(path, out)
    return out
