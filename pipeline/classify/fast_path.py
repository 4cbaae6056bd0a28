"""Assess posts: embed (cached), score with the live and shadow classifiers, store assessments,
and create flags for categories over threshold (live classifier only)."""

from __future__ import annotations

import logging

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from pipeline.classify.core.assessor import Assessor
from pipeline.classify.core.cascade import Cascade, exemplar_fragments
from pipeline.classify.core.vectors import Embedder
from pipeline.classify.embedding.base import text_hash
from pipeline.classify.embedding.cache import embed_cached, stored_vectors
from pipeline.classify.guidance import Policy
from pipeline.config import get_settings
from pipeline.db.models import Post

log = logging.getLogger(__name__)


def calibration_set(
    session: Session, policy: Policy, full: Embedder, posts: int
) -> tuple[list[str], np.ndarray, list[bool]]:
    """Texts with full-model vectors for the fast path's calibration: the policy's exemplars
    and fragments of them (embedded once per policy version, then cached) and up to ``posts``
    recent posts whose vector the embedding cache already holds; ``(texts, vectors, is_post)``."""
    seeds = exemplar_fragments(policy)
    vectors = [embed_cached(session, full, seeds)]
    texts, is_post = list(seeds), [False] * len(seeds)
    if posts:
        recent = session.scalars(
            sa.select(Post.text)
            .where(Post.text.is_not(None), Post.text_purged_at.is_(None))
            .order_by(Post.id.desc())
            .limit(posts * 4)
        ).all()
        known = set(seeds)
        stripped = [
            t for t in dict.fromkeys(policy.strip_disclaimers(t) for t in recent) if t not in known
        ]
        stored = stored_vectors(session, full.model_id, [text_hash(t) for t in stripped])
        found = [t for t in stripped if text_hash(t) in stored][:posts]
        if found:
            texts += found
            is_post += [True] * len(found)
            vectors.append(np.stack([stored[text_hash(t)] for t in found]))
    return texts, np.concatenate(vectors).astype(np.float32), is_post


def build_cascade(
    session: Session,
    assessors: dict[int, Assessor],
    policy: Policy,
    full: Embedder,
    screen: Embedder,
) -> Cascade:
    """Calibrate the fast path's screen for these classifiers (see ``pipeline.classify.core.cascade``)."""

    settings = get_settings()
    texts, vectors, is_post = calibration_set(
        session, policy, full, settings.fast_path_calibration_posts
    )
    cascade = Cascade.calibrate(
        assessors,
        screen,
        texts,
        vectors,
        coverage=settings.fast_path_coverage,
        is_post=is_post,
        audit_rate=settings.fast_path_audit_rate,
    )
    log.info("fast path calibrated on %s", cascade.calibration)
    return cascade
