"""One classifier version at work: scores, risk, flags and a readable explanation per text.

No database here: callers pass vectors (from the embedding cache or the model) and context.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pipeline.classify.core import risk as risk_mod
from pipeline.classify.core.scoring import ExemplarIndex, Head, compute_features, score_texts
from pipeline.classify.guidance import Policy

_INDEX_CACHE: dict[tuple[str, str], ExemplarIndex] = {}


def exemplar_index(
    policy: Policy, model_id: str, encode: Callable[[list[str]], np.ndarray]
) -> ExemplarIndex:
    """The policy's exemplar vectors, built once per process per policy version and model."""
    key = (policy.version, model_id)
    if key not in _INDEX_CACHE:
        _INDEX_CACHE[key] = ExemplarIndex.build(policy, encode)
    return _INDEX_CACHE[key]


@dataclass
class Judgement:
    scores: dict[str, float]
    risk: float
    factors: dict[str, dict[str, Any]]
    explanation: dict[str, Any]
    flagged: list[str] = field(default_factory=list)

    @property
    def top_category(self) -> str:
        return max(self.scores, key=lambda c: self.scores[c])


@dataclass
class Assessor:
    """A policy, an exemplar index, an optional trained head and thresholds."""

    policy: Policy
    index: ExemplarIndex
    thresholds: dict[str, float]
    head: Head | None = None
    version: str = "shipped"

    def score_matrix(self, texts: Sequence[str], vectors: np.ndarray) -> np.ndarray:
        """Category scores only (rows = texts, columns = ``policy.categories``)."""
        texts = list(texts)
        feats = compute_features(vectors, texts, self.policy, self.index)
        scores, _, _ = score_texts(vectors, feats, self.policy, self.head, texts)
        return np.stack([scores[c] for c in self.policy.categories], axis=1)

    def judge(
        self,
        texts: Sequence[str],
        vectors: np.ndarray,
        contexts: Sequence[risk_mod.Context] | None = None,
        *,
        stripped: Sequence[bool] | None = None,
    ) -> list[Judgement]:
        """``texts`` are the scored texts (disclaimers already stripped)."""
        texts = list(texts)
        contexts = contexts or [risk_mod.Context()] * len(texts)
        feats = compute_features(vectors, texts, self.policy, self.index)
        scores, parts, by_head = score_texts(vectors, feats, self.policy, self.head, texts)
        out = []
        for i, text in enumerate(texts):
            match = feats.matches[i]
            row = {c: round(float(scores[c][i]), 4) for c in self.policy.categories}
            flagged = sorted(
                (c for c in row if row[c] >= self.thresholds.get(c, 1.01)),
                key=lambda c: -row[c],
            )
            factors = risk_mod.contributions(
                self.policy,
                contexts[i],
                risk_mod.relevance(match, text, contexts[i].org_unit),
                risk_mod.tone(match, text),
            )
            top = max(row.values())
            risk = round(risk_mod.combine(top, factors), 4)
            categories = {}
            for c in self.policy.categories:
                nearest = [
                    {
                        "lang": self.index.texts[c][int(j)][0],
                        "text": self.index.texts[c][int(j)][1],
                        "similarity": round(float(s), 3),
                    }
                    for j, s in zip(feats.nearest[c][i], feats.nearest_sim[c][i], strict=True)
                ]
                categories[c] = {
                    "score": row[c],
                    "threshold": self.thresholds.get(c),
                    "flagged": c in flagged,
                    "scored_by": "trained head" if c in by_head else "policy",
                    "matched_terms": match.terms.get(c, []),
                    "nearest_exemplars": nearest,
                    "contributions": {k: round(float(v[i]), 3) for k, v in parts[c].items()},
                }
            near_benign = feats.nearest["benign"][i][0]
            explanation = {
                "summary": _summary(row, flagged, match.terms, factors),
                "categories": categories,
                "nearest_benign": {
                    "text": self.index.texts["benign"][int(near_benign)][1],
                    "similarity": round(float(feats.nearest_sim["benign"][i][0]), 3),
                },
                "factors": factors,
                "work_terms": match.terms.get("work", []),
                "tone_terms": match.terms.get("tone", []),
                "disclaimer_stripped": bool(stripped[i]) if stripped is not None else False,
                "policy_version": self.policy.version,
                "classifier_version": self.version,
            }
            out.append(Judgement(row, risk, factors, explanation, flagged))
        return out


def _summary(
    scores: dict[str, float],
    flagged: list[str],
    terms: dict[str, list[str]],
    factors: dict[str, dict[str, Any]],
) -> str:
    if not flagged:
        top = max(scores, key=lambda c: scores[c])
        return f"No category over its threshold (highest: {top} {scores[top]:.2f})."
    lines = []
    for c in flagged:
        words = terms.get(c, [])
        why = f"; terms: {', '.join(words[:6])}" if words else ""
        lines.append(f"{c} {scores[c]:.2f}{why}")
    raising = [n for n, f in factors.items() if f["contribution"] > 0]
    ctx = f" Raised by: {', '.join(raising)}." if raising else ""
    return "Over threshold: " + "; ".join(lines) + "." + ctx
