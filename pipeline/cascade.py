"""The fast path: a static embedding screens every post, the full model re-scores the uncertain.

A post keeps its static judgement only when, for every classifier, every category's static
score is more than ``band`` under its threshold; any post near or over a threshold is judged
again from the full model's vector, so its flags always come from the full model. Classifiers
with a trained head read the full model's embedding space, so while one is live or in shadow,
every post goes to the full model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from pipeline.assessor import Assessor, Judgement, exemplar_index
from pipeline.embedding import Embedder
from pipeline.risk import Context

Encode = Callable[[list[str]], np.ndarray]


@dataclass
class Cascade:
    """Static twin of the model and a static assessor per classifier id."""

    embedder: Embedder
    assessors: dict[int, Assessor]
    band: float
    rescored: int = 0
    kept_static: int = 0

    @classmethod
    def build(cls, full: dict[int, Assessor], embedder: Embedder, band: float) -> Cascade:
        """Static assessors twinning ``full`` (exemplars embedded by the static model, which
        is cheap enough not to be cached in the database)."""
        static: dict[int, Assessor] = {}
        for cid, assessor in full.items():
            if assessor.head is not None:
                continue
            index = exemplar_index(assessor.policy, embedder.model_id, embedder.encode)
            static[cid] = Assessor(
                assessor.policy, index, assessor.thresholds, None, assessor.version
            )
        if len(static) < len(full):
            static = {}  # a trained head is in use: the full model judges everything
        return cls(embedder, static, band)

    def uncertain(self, judgements: dict[int, list[Judgement]]) -> np.ndarray:
        """Rows where some classifier has a static score within ``band`` of a threshold."""
        n = len(next(iter(judgements.values())))
        out = np.zeros(n, dtype=bool)
        for cid, rows in judgements.items():
            thresholds = self.assessors[cid].thresholds
            for i, j in enumerate(rows):
                out[i] |= any(s >= thresholds.get(c, 1.01) - self.band for c, s in j.scores.items())
        return out

    def judge(
        self,
        full: dict[int, Assessor],
        encode_full: Encode,
        texts: list[str],
        contexts: Sequence[Context],
        stripped: Sequence[bool],
        known: Sequence[bool] | None = None,
    ) -> dict[int, list[Judgement]]:
        """Judgements per classifier id; the explanation's ``scored_path`` says which model.

        ``encode_full`` gives the full model's vectors (e.g. through the embedding cache);
        rows marked in ``known`` already have one stored, so the full model judges them (at
        no model cost) whatever the screen says."""
        if not self.assessors or not texts:
            vectors = encode_full(texts)
            out = {
                cid: a.judge(texts, vectors, contexts, stripped=stripped) for cid, a in full.items()
            }
            return _mark(out, "full model")
        vectors = self.embedder.encode(texts)
        out = {
            cid: a.judge(texts, vectors, contexts, stripped=stripped)
            for cid, a in self.assessors.items()
        }
        _mark(out, "static screen")
        full_rows = self.uncertain(out)
        if known is not None:
            full_rows |= np.asarray(known, dtype=bool)
        rows = np.flatnonzero(full_rows).tolist()
        self.rescored += len(rows)
        self.kept_static += len(texts) - len(rows)
        if rows:
            sub = [texts[i] for i in rows]
            full_vectors = encode_full(sub)
            for cid, assessor in full.items():
                again = assessor.judge(
                    sub,
                    full_vectors,
                    [contexts[i] for i in rows],
                    stripped=[stripped[i] for i in rows],
                )
                _mark({cid: again}, "full model")
                for i, j in zip(rows, again, strict=True):
                    out[cid][i] = j
        return out


def _mark(judgements: dict[int, list[Judgement]], path: str) -> dict[int, list[Judgement]]:
    for rows in judgements.values():
        for j in rows:
            j.explanation["scored_path"] = path
    return judgements
