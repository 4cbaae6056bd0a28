"""Per-category scores from exemplar similarity and lexicon evidence (+ a trained head).

Pure numpy: no database, no model. ``ExemplarIndex`` holds the policy's exemplar vectors;
``score_texts`` turns text vectors into scores and the parts a reviewer reads.
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import HashingVectorizer

from pipeline.classify.guidance import Lexicon, LexiconMatch, Policy, fold


def sigmoid(x: np.ndarray | float) -> np.ndarray | float:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -30, 30)))


@dataclass
class ExemplarIndex:
    """Normalized exemplar vectors per category (and ``benign``), with their texts."""

    vectors: dict[str, np.ndarray]
    texts: dict[str, list[tuple[str, str]]]

    @classmethod
    def build(cls, policy: Policy, encode: Any) -> ExemplarIndex:
        """``encode`` maps a list of texts to normalized vectors (an embedder's or a cache's)."""
        texts = {c: policy.exemplars(c) for c in (*policy.categories, "benign")}
        flat = [t for group in texts.values() for _, t in group]
        matrix = np.asarray(encode(flat), dtype=np.float32)
        vectors, start = {}, 0
        for name, group in texts.items():
            vectors[name] = matrix[start : start + len(group)]
            start += len(group)
        return cls(vectors=vectors, texts=texts)


@dataclass
class Features:
    """What the scores are computed from, for a batch of texts."""

    similarity: dict[str, np.ndarray]  # top-k mean cosine, per category and "benign"
    nearest: dict[str, np.ndarray]  # indices of the 3 nearest exemplars, per category
    nearest_sim: dict[str, np.ndarray]
    lexicon: dict[str, np.ndarray]  # saturating term evidence in [0, 1)
    matches: list[LexiconMatch] = field(default_factory=list)

    def matrix(self, categories: tuple[str, ...]) -> np.ndarray:
        """The shipped features as columns: contrast, similarity, lexicon per category."""
        cols = []
        for c in categories:
            cols += [
                self.similarity[c] - self.similarity["benign"],
                self.similarity[c],
                self.lexicon[c],
            ]
        cols += [self.similarity["benign"], self.lexicon["tone"], self.lexicon["work"]]
        return np.stack(cols, axis=1).astype(np.float32)


def feature_width(policy: Policy) -> int:
    """Columns of ``Features.matrix``: what a head reads after the embedding."""
    return 3 * len(policy.categories) + 3


def compute_features(
    vectors: np.ndarray, texts: list[str], policy: Policy, index: ExemplarIndex
) -> Features:
    k = policy.spec.scoring.top_k
    similarity, nearest, nearest_sim = {}, {}, {}
    for name, ex in index.vectors.items():
        sims = vectors @ ex.T
        kk = min(k, sims.shape[1])
        part = np.partition(sims, -kk, axis=1)[:, -kk:]
        similarity[name] = part.mean(axis=1)
        top = np.argsort(-sims, axis=1)[:, :3]
        nearest[name] = top
        nearest_sim[name] = np.take_along_axis(sims, top, axis=1)
    lexicon: Lexicon = policy.lexicon
    matches = [lexicon.match(t) for t in texts]
    scale = policy.spec.scoring.lexicon_scale
    lex = {
        g: np.array([1.0 - math.exp(-m.count(g) / scale) for m in matches], dtype=np.float32)
        for g in (*policy.categories, "tone", "work")
    }
    return Features(similarity, nearest, nearest_sim, lex, matches)


def shipped_parts(features: Features, policy: Policy, category: str) -> dict[str, np.ndarray]:
    """Each feature's contribution to the category's log-odds under the shipped weights."""
    w = policy.spec.scoring.weights.get(category, {})
    sim = features.similarity[category]
    values = {
        "contrast": sim - features.similarity["benign"],
        "similarity": sim,
        "lexicon": features.lexicon[category],
    }
    parts = {name: w.get(name, 0.0) * v for name, v in values.items()}
    parts["bias"] = np.full(sim.shape, w.get("bias", 0.0), dtype=np.float32)
    return parts


HASH_FEATURES = 2**16


@lru_cache(maxsize=4)
def _hashers(n_features: int) -> tuple[HashingVectorizer, HashingVectorizer]:
    common = {"n_features": n_features, "alternate_sign": False, "preprocessor": fold}
    return (
        HashingVectorizer(ngram_range=(1, 2), **common),
        HashingVectorizer(analyzer="char_wb", ngram_range=(2, 4), **common),
    )


def hashed_text_features(texts: list[str], n_features: int = HASH_FEATURES) -> sparse.csr_matrix:
    """Hashed word uni/bigrams and character 2-4-grams of folded text, side by side: a
    vocabulary-free bag of words (nothing to store but coefficients; hashes are stable)."""
    words, chars = _hashers(n_features)
    return sparse.hstack([words.transform(texts), chars.transform(texts)]).tocsr()


@dataclass
class Head:
    """A trained logistic-regression head over [embedding, shipped features] and, when
    ``hash_coef`` is set, hashed word and character n-grams of the text."""

    coef: np.ndarray  # (n_labels or 1, n_dense_features)
    intercept: np.ndarray
    labels: list[str]  # dataset labels, one of them maps to no category
    categories: dict[str, list[str]]  # label -> categories it stands for
    hash_coef: np.ndarray | None = None  # (n_labels or 1, 2 * HASH_FEATURES)

    def to_params(self) -> dict[str, Any]:
        params: dict[str, Any] = {
            "coef": self.coef.round(6).tolist(),
            "intercept": self.intercept.round(6).tolist(),
            "labels": self.labels,
            "categories": self.categories,
        }
        if self.hash_coef is not None:
            params["hash"] = {
                "shape": list(self.hash_coef.shape),
                "float16_b64": base64.b64encode(self.hash_coef.astype(np.float16).tobytes()).decode(
                    "ascii"
                ),
            }
        return params

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> Head:
        hash_coef = None
        if "hash" in params:
            raw = base64.b64decode(params["hash"]["float16_b64"])
            hash_coef = (
                np.frombuffer(raw, dtype=np.float16)
                .reshape(params["hash"]["shape"])
                .astype(np.float32)
            )
        return cls(
            coef=np.asarray(params["coef"], dtype=np.float32),
            intercept=np.asarray(params["intercept"], dtype=np.float32),
            labels=list(params["labels"]),
            categories={k: list(v) for k, v in params["categories"].items()},
            hash_coef=hash_coef,
        )

    def label_probabilities(self, x: np.ndarray, texts: list[str] | None = None) -> np.ndarray:
        logits = x @ self.coef.T + self.intercept
        if self.hash_coef is not None:
            if texts is None:
                raise ValueError("this head also reads the texts")
            hashed = hashed_text_features(texts, self.hash_coef.shape[1] // 2)
            logits = logits + np.asarray(hashed @ self.hash_coef.T)
        if logits.shape[1] == 1:  # binary: sklearn keeps one row for the second label
            p = sigmoid(logits[:, 0])
            return np.stack([1 - p, p], axis=1)
        logits -= logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        return e / e.sum(axis=1, keepdims=True)


def head_input(vectors: np.ndarray, features: Features, policy: Policy) -> np.ndarray:
    return np.hstack([vectors, features.matrix(policy.categories)]).astype(np.float32)


def score_texts(
    vectors: np.ndarray,
    features: Features,
    policy: Policy,
    head: Head | None = None,
    texts: list[str] | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, dict[str, np.ndarray]], set[str]]:
    """Scores per category, the shipped log-odds parts, and which categories the head scored."""
    scores: dict[str, np.ndarray] = {}
    parts: dict[str, dict[str, np.ndarray]] = {}
    for c in policy.categories:
        parts[c] = shipped_parts(features, policy, c)
        scores[c] = sigmoid(sum(parts[c].values()))
    by_head: set[str] = set()
    if head is not None:
        probs = head.label_probabilities(head_input(vectors, features, policy), texts)
        for j, label in enumerate(head.labels):
            for c in head.categories.get(label, []):
                # A category named by several labels takes the most probable of them.
                scores[c] = np.maximum(scores[c], probs[:, j]) if c in by_head else probs[:, j]
                by_head.add(c)
    return scores, parts, by_head
