"""The vector cache in PostgreSQL (pgvector), keyed by text hash + model id, so identical text is
embedded once per model.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from pipeline.classify.core.vectors import Embedder
from pipeline.classify.embedding.base import text_hash
from pipeline.db.models import Embedding


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
        # in key order: two workers storing the same texts wait on each other, never deadlock
        ordered = [rows[key] for key in sorted(rows)]
        session.execute(insert(Embedding).on_conflict_do_nothing(), ordered)


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
