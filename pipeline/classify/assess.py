"""Assess posts: embed (cached), score with the live and shadow classifiers, store assessments,
and create flags for categories over threshold (live classifier only).

The batch loop of the nightly scan's ``assess`` step; with the fast path on, the screen scores
every post first (``pipeline.classify.fast_path``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from pipeline.classify.core.assessor import Assessor, Judgement
from pipeline.classify.core.cascade import Cascade
from pipeline.classify.core.risk import Context
from pipeline.classify.core.vectors import Embedder
from pipeline.classify.embedding.base import text_hash
from pipeline.classify.embedding.cache import embed_cached, store_vectors, stored_vectors
from pipeline.classify.embedding.factory import get_embedder, get_fast_embedders
from pipeline.classify.fast_path import build_cascade
from pipeline.classify.guidance import Policy, load_policy
from pipeline.classify.pending import any_pending, claim_batch
from pipeline.classify.store import assessor_for, ensure_live_classifier
from pipeline.config import get_settings
from pipeline.db.engine import get_engine
from pipeline.db.models import Assessment, Classifier, Flag, Post

Progress = Callable[[int, int], None]


log = logging.getLogger(__name__)


@dataclass
class AssessSummary:
    assessed: int = 0
    flags_created: int = 0
    model_calls: int = 0
    posts: int = 0
    fast_path: str = "off"
    screen_kept: int = 0  # posts judged from the fast path's screen alone
    screen_audited: int = 0  # posts the screen settled, checked by the full model anyway
    screen_disagreed: int = 0  # ... whose flags from the two differ
    by_classifier: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def assess_pending(
    engine: sa.Engine | None = None,
    *,
    batch_size: int | None = None,
    progress: Progress | None = None,
    embedder: Embedder | None = None,
    policy: Policy | None = None,
    fast_path: str | None = None,
    screen: Embedder | None = None,
    cascade: Cascade | None = None,
    id_range: tuple[int, int | None] = (0, None),
) -> AssessSummary:
    """Assess every post whose current text has no assessment by the live (and shadow)
    classifiers; flags only from the live one. Commits batch by batch.

    Each classifier judges vectors of its own model (``Classifier.model_id``: the configured
    model, or a fine-tuned one): the classifiers are grouped by model, and each batch is
    embedded once per model (through the vector cache, keyed by model id).

    ``id_range`` ``(after_id, upto_id)`` limits the work to the posts with ids in
    ``(after_id, upto_id]`` (``None``: no upper bound). Each batch is claimed
    (``pipeline.classify.pending``): posts another worker is assessing are left to it.

    ``embedder`` (and ``screen``) serve the classifiers of their model (or, when none has it,
    the live classifier's); the others get theirs from ``pipeline.classify.embedding.factory``. ``fast_path`` (default ``Settings.fast_path``):
    "cascade" scores posts with a shallow ``screen`` and runs the full model (by default the fast
    path's models of ``get_fast_embedders``) only on posts the screen cannot settle (see
    ``pipeline.classify.core.cascade``); a ``cascade`` already calibrated for the classifiers of
    ``embedder``'s model may be passed in."""

    engine = engine or get_engine()
    settings = get_settings()
    policy = policy or load_policy()
    summary = AssessSummary(fast_path=fast_path or settings.fast_path)
    fast = summary.fast_path == "cascade"
    # Large batches of posts: sorted by length, they make model batches with little padding
    # (and the fast path re-scores only a part of each).
    batch_size = batch_size or 512
    with Session(engine, expire_on_commit=False) as session:
        given = _model_of(embedder) if embedder else None
        live = ensure_live_classifier(session, policy=policy, model_id=given)
        shadows = list(session.scalars(sa.select(Classifier).where(Classifier.status == "shadow")))
        session.commit()
        classifiers = [live, *shadows]
        ids = [c.id for c in classifiers]
        after_id, upto_id = id_range
        if not any_pending(session, ids, after_id, upto_id):
            return summary  # nothing to do: do not load the model
        models = list(dict.fromkeys(c.model_id for c in classifiers))  # the live model first
        # a given embedder serves its own model's classifiers, else the live one's
        served = given if given in models else live.model_id
        groups = []
        for model_id in models:
            members = [c for c in classifiers if c.model_id == model_id]
            mine = embedder is not None and model_id == served
            full, shallow = (embedder, screen) if mine else (None, None)
            if full is None:
                full, shallow = (
                    get_fast_embedders(model_id) if fast else (get_embedder(model_id), None)
                )
            assessors = {c.id: assessor_for(session, c, full, policy) for c in members}
            group_cascade = cascade if mine else None
            if fast and group_cascade is None:
                if shallow is None:
                    raise ValueError("the cascade needs a screen model")
                group_cascade = build_cascade(session, assessors, policy, full, shallow)
            groups.append(_Group(members, assessors, full, group_cascade))
            session.commit()
        calls_before = [g.embedder.calls for g in groups]
        before = [g.counts() for g in groups]
        total = session.scalar(
            sa.select(sa.func.count()).select_from(Post).where(Post.text.is_not(None))
        )
        last_id: int | None = after_id
        while last_id is not None:
            rows, last_id = claim_batch(session, ids, last_id, batch_size, upto_id)
            if not rows:
                session.commit()  # releases what was locked
                continue
            summary.posts += len(rows)
            for group in groups:
                _assess_batch(session, rows, group, live.id, policy, summary)
            session.commit()
            if progress:
                progress(summary.posts, total or summary.posts)
        summary.model_calls = sum(
            g.embedder.calls - n for g, n in zip(groups, calls_before, strict=True)
        )
        if fast:
            kept, audited, disagreed = (
                sum(g.counts()[k] - b[k] for g, b in zip(groups, before, strict=True))
                for k in range(3)
            )
            summary.screen_kept, summary.screen_audited = kept, audited
            summary.screen_disagreed = disagreed
            log.info(
                "fast path: %d of %d posts settled by the screen; of %d checked by the full "
                "model too, %d flagged differently",
                summary.screen_kept,
                summary.posts,
                summary.screen_audited,
                summary.screen_disagreed,
            )
    return summary


def _model_of(embedder: Embedder) -> str:
    """The model id a classifier version names: "model@int8" and the like are the same model."""
    return embedder.model_id.split("@")[0]


@dataclass
class _Group:
    """The classifiers of one model, with that model's embedder (and fast-path cascade)."""

    classifiers: list[Classifier]
    assessors: dict[int, Assessor]
    embedder: Embedder
    cascade: Cascade | None

    def counts(self) -> tuple[int, int, int]:
        c = self.cascade
        return (c.kept, c.audited, c.disagreed) if c is not None else (0, 0, 0)


def _assess_batch(
    session: Session,
    rows: list[Any],
    group: _Group,
    live_id: int,
    policy: Policy,
    summary: AssessSummary,
) -> None:
    classifiers, assessors = group.classifiers, group.assessors
    embedder, cascade = group.embedder, group.cascade
    texts = [policy.strip_disclaimers(r[1]) for r in rows]
    stripped = [t != (r[1] or "").strip() for t, r in zip(texts, rows, strict=True)]
    contexts = [Context(audience=r[3], seniority=r[4], org_unit=r[5]) for r in rows]
    judged: dict[int, list[Judgement]]
    if cascade is not None:
        stored = stored_vectors(session, embedder.model_id, [text_hash(t) for t in texts])
        judged = cascade.judge(
            assessors,
            lambda t: embed_cached(session, embedder, t),
            texts,
            contexts,
            stripped,
            known=[text_hash(t) in stored for t in texts],
            store=lambda t, v: store_vectors(session, embedder.model_id, t, v),
        )
    else:
        vectors = embed_cached(session, embedder, texts)
        judged = {
            c.id: assessors[c.id].judge(texts, vectors, contexts, stripped=stripped)
            for c in classifiers
        }
    for classifier in classifiers:
        judgements = judged[classifier.id]
        values = [
            {
                "post_id": r[0],
                "classifier_id": classifier.id,
                "content_hash": r[2],
                "policy_version": policy.version,
                "scores": j.scores,
                "risk": j.risk,
                "factors": j.factors,
                "explanation": j.explanation,
            }
            for r, j in zip(rows, judgements, strict=True)
        ]
        # executemany form: one cached statement, sent in pages (not compiled per batch)
        inserted = session.execute(
            insert(Assessment)
            .on_conflict_do_nothing()
            .returning(Assessment.id, Assessment.post_id),
            values,
        ).all()
        summary.assessed += len(inserted)
        summary.by_classifier[classifier.version] = summary.by_classifier.get(
            classifier.version, 0
        ) + len(inserted)
        if classifier.id != live_id or not inserted:
            continue
        assessment_of = {post_id: aid for aid, post_id in inserted}
        flags = [
            {
                "post_id": r[0],
                "assessment_id": assessment_of[r[0]],
                "category": c,
                "content_hash": r[2],
                "score": j.scores[c],
                "risk": j.risk,
            }
            for r, j in zip(rows, judgements, strict=True)
            if r[0] in assessment_of
            for c in j.flagged
        ]
        if flags:
            created = session.execute(
                insert(Flag).on_conflict_do_nothing().returning(Flag.id), flags
            ).all()
            summary.flags_created += len(created)
