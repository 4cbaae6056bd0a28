"""The fast path: a shallow screen scores every post, the full model re-scores the uncertain.

The screen is the model's first layers, mean-pooled and mapped into the full model's embedding
space by a ridge regression, so every classifier (the shipped policy or a trained head) judges
the screen's vectors exactly as it judges the full model's. Calibration measures, on texts
whose full-model vectors are known (the policy's exemplars and recent posts from the embedding
cache), how far each category's full-model score falls from the screen's, with cross-fitted
maps so that no text calibrates a map that saw it. Per classifier and category, a band holds
``coverage`` of those differences on each side of the screen's score.

A post whose screen score for some category lies inside the band around that category's
threshold (or whose two highest flagged categories are too close to order) is judged again
from the full model's vector; every other post keeps the screen's judgement, which the full
model reaches too on ``coverage`` of such texts. The explanation's ``scored_path`` says which.
A small, stable share of the settled posts (``audit_rate``) goes to the full model anyway, and
how often its flags differ from the screen's is counted: the fast path's running check.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.linear_model import Ridge
from sklearn.model_selection import KFold

from pipeline.classify.core.assessor import Assessor, Judgement
from pipeline.classify.core.risk import Context
from pipeline.classify.core.vectors import Embedder, normalized
from pipeline.classify.guidance import Policy

Encode = Callable[[list[str]], np.ndarray]
Store = Callable[[list[str], np.ndarray], None]
SCREEN = "screen"
FULL = "full model"
# Under this many calibration posts, the exemplars calibrate the bands too.
MIN_POSTS_FOR_BANDS = 200


def exemplar_fragments(policy: Policy) -> list[str]:
    """The policy's exemplars, their sentences and their halves: short texts the full model
    embeds once per policy version, so the screen can be calibrated before any post exists."""
    texts: list[str] = []
    for category in (*policy.categories, "benign"):
        for _, text in policy.exemplars(category):
            texts.append(text)
            texts += [s for s in re.split(r"(?<=[.!?])\s+|,\s+", text) if len(s.split()) >= 3]
            words = text.split()
            if len(words) > 6:
                texts += [" ".join(words[: len(words) // 2]), " ".join(words[len(words) // 2 :])]
    return list(dict.fromkeys(texts))


@dataclass
class Screen:
    """Shallow vectors mapped linearly into the full model's space."""

    encoder: Embedder
    coef: np.ndarray  # (shallow dim, full dim)
    intercept: np.ndarray

    @classmethod
    def fit(cls, encoder: Embedder, shallow: np.ndarray, full: np.ndarray, alpha: float = 1.0):
        ridge = Ridge(alpha=alpha).fit(shallow, full)
        coef = np.asarray(ridge.coef_, dtype=np.float32).T
        return cls(encoder, coef, np.asarray(ridge.intercept_, dtype=np.float32))

    def map(self, shallow: np.ndarray) -> np.ndarray:
        return normalized(shallow @ self.coef + self.intercept)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return self.map(self.encoder.encode(list(texts)))

    def start(self, texts: Sequence[str]) -> tuple[np.ndarray, Any]:
        """Mapped vectors, and what the full model needs to finish these texts (``None``
        when the screen is a separate model: the full model then starts from the text)."""
        start = getattr(self.encoder, "start", None)
        if start is None:
            return self.encode(texts), None
        shallow, partial = start(list(texts))
        return self.map(shallow), partial


@dataclass
class Cascade:
    """A fitted screen and, per classifier id, a ``(below, above)`` band per category."""

    screen: Screen
    bands: dict[int, dict[str, tuple[float, float]]]
    calibration: dict[str, float | int] = field(default_factory=dict)
    audit_rate: float = 0.0
    rescored: int = 0
    kept: int = 0
    audited: int = 0  # settled by the screen, checked by the full model all the same
    disagreed: int = 0  # ... where the two flagged different categories

    @classmethod
    def calibrate(
        cls,
        assessors: dict[int, Assessor],
        encoder: Embedder,
        texts: Sequence[str],
        full_vectors: np.ndarray,
        *,
        coverage: float,
        is_post: Sequence[bool] | None = None,
        folds: int = 5,
        alpha: float = 1.0,
        audit_rate: float = 0.0,
    ) -> Cascade:
        """Fit the screen on ``texts`` (with their full-model vectors) and the bands at
        ``coverage``; ``is_post`` marks real posts, which alone set the bands when there are
        enough of them (an exemplar matches itself, so its scores are not typical)."""
        texts = list(texts)
        if len(texts) < folds * 2:
            raise ValueError(f"the fast path needs at least {folds * 2} calibration texts")
        shallow = encoder.encode(texts)
        crossed = np.empty_like(full_vectors, dtype=np.float32)
        for train, test in KFold(folds, shuffle=True, random_state=0).split(shallow):
            part = Screen.fit(encoder, shallow[train], full_vectors[train], alpha)
            crossed[test] = part.map(shallow[test])
        posts = np.asarray(is_post if is_post is not None else [False] * len(texts), dtype=bool)
        rows = posts if posts.sum() >= MIN_POSTS_FOR_BANDS else np.ones(len(texts), dtype=bool)
        bands: dict[int, dict[str, tuple[float, float]]] = {}
        for cid, assessor in assessors.items():
            sub = [t for t, keep in zip(texts, rows, strict=True) if keep]
            gap = assessor.score_matrix(sub, full_vectors[rows]) - assessor.score_matrix(
                sub, crossed[rows]
            )
            bands[cid] = {
                c: (
                    max(0.0, float(np.quantile(gap[:, k], coverage))),
                    max(0.0, float(np.quantile(-gap[:, k], coverage))),
                )
                for k, c in enumerate(assessor.policy.categories)
            }
        screen = Screen.fit(encoder, shallow, full_vectors, alpha)
        stats = {"texts": len(texts), "posts": int(posts.sum()), "coverage": coverage}
        return cls(screen, bands, stats, audit_rate)

    def uncertain(
        self, scores: dict[int, np.ndarray], thresholds: dict[int, dict[str, float]], categories
    ) -> np.ndarray:
        """Rows that some classifier cannot settle from the screen's ``scores`` (rows = texts,
        columns = ``categories``): a score inside the band around its threshold, or two flags
        too close to say which is on top."""
        n = len(next(iter(scores.values())))
        out = np.zeros(n, dtype=bool)
        for cid, matrix in scores.items():
            limit = np.array([thresholds[cid].get(c, 1.01) for c in categories])
            below = np.array([self.bands[cid][c][0] for c in categories])
            above = np.array([self.bands[cid][c][1] for c in categories])
            out |= ((matrix > limit - below) & (matrix < limit + above)).any(axis=1)
            over = matrix >= limit
            top = np.argsort(-np.where(over, matrix, -1.0), axis=1)[:, :2]
            rows = np.arange(n)
            gap = matrix[rows, top[:, 0]] - matrix[rows, top[:, 1]]
            both = over.sum(axis=1) >= 2
            out |= both & (gap < above[top[:, 0]] + below[top[:, 1]])
        return out

    def judge(
        self,
        assessors: dict[int, Assessor],
        encode_full: Encode,
        texts: list[str],
        contexts: Sequence[Context],
        stripped: Sequence[bool],
        known: Sequence[bool] | None = None,
        store: Store | None = None,
    ) -> dict[int, list[Judgement]]:
        """Judgements per classifier id, each marked with the ``scored_path`` that made it.

        ``encode_full`` gives the full model's vectors from text (e.g. through the embedding
        cache); rows marked in ``known`` already have one stored, so the full model judges
        them (at no model cost) whatever the screen says. When the screen is the first stage
        of the full model, the uncertain rows are finished from the screen's states and their
        vectors handed to ``store`` (e.g. the embedding cache)."""
        if not texts:
            return {cid: [] for cid in assessors}
        known_rows = np.asarray(known if known is not None else [False] * len(texts), dtype=bool)
        out: dict[int, list[Any]] = {cid: [None] * len(texts) for cid in assessors}
        full_vectors: dict[int, np.ndarray] = {}
        fresh = np.flatnonzero(~known_rows).tolist()
        if fresh:
            sub = [texts[i] for i in fresh]
            vectors, partial = self.screen.start(sub)
            categories = next(iter(assessors.values())).policy.categories
            unsure = self.uncertain(
                {cid: a.score_matrix(sub, vectors) for cid, a in assessors.items()},
                {cid: a.thresholds for cid, a in assessors.items()},
                categories,
            )
            audit = ~unsure & (_fraction(sub) < self.audit_rate)
            settled = np.flatnonzero(~unsure | audit).tolist()
            screened = {
                cid: _mark(
                    a.judge(
                        [sub[k] for k in settled],
                        vectors[settled],
                        [contexts[fresh[k]] for k in settled],
                        stripped=[stripped[fresh[k]] for k in settled],
                    ),
                    SCREEN,
                )
                if settled
                else []
                for cid, a in assessors.items()
            }
            audit_screen = {
                cid: {fresh[k]: j for k, j in zip(settled, rows, strict=True) if audit[k]}
                for cid, rows in screened.items()
            }
            for cid, rows in screened.items():
                for k, j in zip(settled, rows, strict=True):
                    if not audit[k]:
                        out[cid][fresh[k]] = j
            unsure |= audit
            self.kept += int((~unsure).sum())
            if partial is not None and unsure.any():
                again = np.flatnonzero(unsure).tolist()
                finished = self.screen.encoder.finish(partial, again)
                if store is not None:
                    store([sub[k] for k in again], finished)
                full_vectors = {fresh[k]: v for k, v in zip(again, finished, strict=True)}
        full_rows = [i for i in range(len(texts)) if out[next(iter(assessors))][i] is None]
        self.rescored += len(full_rows)
        if full_rows:
            sub = [texts[i] for i in full_rows]
            from_text = [i for i in full_rows if i not in full_vectors]
            if from_text:
                full_vectors.update(
                    zip(from_text, encode_full([texts[i] for i in from_text]), strict=True)
                )
            vectors = np.stack([full_vectors[i] for i in full_rows])
            for cid, a in assessors.items():
                again_judged = a.judge(
                    sub,
                    vectors,
                    [contexts[i] for i in full_rows],
                    stripped=[stripped[i] for i in full_rows],
                )
                for i, j in zip(full_rows, _mark(again_judged, FULL), strict=True):
                    out[cid][i] = j
        if fresh:
            audited = set().union(*(set(rows) for rows in audit_screen.values()))
            self.audited += len(audited)
            self.disagreed += sum(
                any(rows[i].flagged != out[cid][i].flagged for cid, rows in audit_screen.items())
                for i in audited
            )
        return out


def _fraction(texts: Sequence[str]) -> np.ndarray:
    """A stable number in [0, 1) per text (from its hash): the same posts are audited on
    every run, whatever the batches."""
    return np.array(
        [int(hashlib.blake2b(t.encode(), digest_size=4).hexdigest(), 16) / 2**32 for t in texts]
    )


def _mark(judgements: list[Judgement], path: str) -> list[Judgement]:
    for j in judgements:
        j.explanation["scored_path"] = path
    return judgements
