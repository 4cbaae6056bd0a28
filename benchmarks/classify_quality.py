"""Classifier quality on the public labeled posts in ../shared/data.

Reports macro-F1 on dev.jsonl of (1) the shipped policy alone, (2) a head trained on dev.jsonl
(5-fold cross-validation, thresholds chosen inside each training fold), and (3) TweetEval
offensive, binary, trained on tweeteval_offensive_train.jsonl (5-fold CV, the rows that are
also in dev.jsonl dropped). The last line of output is one JSON object.

Example: python benchmarks/classify_quality.py --json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

# Run as a script, this folder would come first on sys.path and benchmarks/queue.py would
# shadow the standard library's queue module: put the project root there instead.
sys.path.remove(str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from sklearn.model_selection import StratifiedKFold

from benchmarks._data import DATA, MAPS, read_rows, vectors
from pipeline.classify.core.assessor import Assessor, exemplar_index
from pipeline.classify.core.evaluate import metrics, predict_label
from pipeline.classify.core.labeled import parse_mapping
from pipeline.classify.core.scoring import score_texts
from pipeline.classify.core.training import features_for, train_head
from pipeline.classify.embedding.factory import get_embedder
from pipeline.classify.guidance import load_policy


def order(mapping: dict[str, list[str]]) -> list[str]:
    return sorted(mapping, key=lambda k: (not mapping[k], k))


def cross_validated(x, texts, labels, mapping, policy_thresholds, *, target_precision, c, seed=0):
    """Outer 5-fold CV of the whole training procedure (head + thresholds)."""
    y = np.asarray(labels)
    predicted = np.empty(len(y), dtype=object)
    folds = StratifiedKFold(5, shuffle=True, random_state=seed)
    for train, test in folds.split(x, y):
        result = train_head(
            x[train],
            list(y[train]),
            mapping,
            texts=[texts[i] for i in train],
            target_precision=target_precision,
            c=c,
            folds=3,
        )
        thresholds = {**policy_thresholds, **result.thresholds}
        probs = result.head.label_probabilities(x[test], [texts[i] for i in test])
        for row, i in zip(probs, test, strict=True):
            scores: dict[str, float] = {}
            for j, label in enumerate(result.head.labels):
                for cat in mapping.get(label, []):
                    scores[cat] = max(scores.get(cat, 0.0), float(row[j]))
            predicted[i] = predict_label(scores, thresholds, mapping)
    return metrics(list(y), list(predicted), order(mapping))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="Print only the JSON object.")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--cache-dir", type=Path, default=None, help="Reuse embeddings.")
    parser.add_argument("--target-precision", type=float, default=0.6)
    parser.add_argument("--c", type=float, default=1.0)
    args = parser.parse_args()
    started = time.perf_counter()
    policy = load_policy()
    embedder = get_embedder()
    index = exemplar_index(policy, embedder.model_id, embedder.encode)
    thresholds = {c: policy.threshold(c) for c in policy.categories}
    assessor = Assessor(policy, index, thresholds)

    dev = read_rows(args.data / "dev.jsonl")
    labels = [r["label"] for r in dev]
    mapping = parse_mapping(MAPS, labels)
    texts = [policy.strip_disclaimers(r["text"]) for r in dev]
    vec = vectors(embedder, texts, args.cache_dir)
    judgements = assessor.judge(texts, vec)
    shipped = metrics(
        labels,
        [predict_label(j.scores, thresholds, mapping) for j in judgements],
        order(mapping),
        [r["source"] for r in dev],
    )
    x = features_for(assessor, texts, vec)
    trained = cross_validated(
        x, texts, labels, mapping, thresholds, target_precision=args.target_precision, c=args.c
    )

    dev_ids = {r["id"] for r in dev}
    tweets = [
        r
        for r in read_rows(args.data / "tweeteval_offensive_train.jsonl")
        if r["id"] not in dev_ids
    ]
    t_texts = [policy.strip_disclaimers(r["text"]) for r in tweets]
    t_vec = vectors(embedder, t_texts, args.cache_dir)
    t_labels = [r["label"] for r in tweets]
    t_mapping = parse_mapping(["offensive=vulgar", "benign=none"], t_labels)
    tweeteval = cross_validated(
        features_for(assessor, t_texts, t_vec),
        t_texts,
        t_labels,
        t_mapping,
        thresholds,
        target_precision=args.target_precision,
        c=args.c,
    )
    # the shipped policy alone on the same tweets (no training), for reference
    t_scores, _, _ = score_texts(t_vec, assessor_features(assessor, t_texts, t_vec), policy)
    shipped_t = metrics(
        t_labels,
        [
            "offensive" if t_scores["vulgar"][i] >= thresholds["vulgar"] else "benign"
            for i in range(len(t_labels))
        ],
        ["offensive", "benign"],
    )
    result = {
        "shipped_macro_f1": shipped["macro_f1"],
        "trained_cv_macro_f1": trained["macro_f1"],
        "tweeteval_offensive_cv_macro_f1": tweeteval["macro_f1"],
        "tweeteval_offensive_shipped_macro_f1": shipped_t["macro_f1"],
        "targets": {"shipped": 0.75, "trained": 0.87, "tweeteval_offensive": 0.74},
        "shipped_per_label": shipped["per_label"],
        "shipped_per_source": shipped["per_source"],
        "shipped_confusion": {"labels": shipped["labels"], "matrix": shipped["confusion"]},
        "trained_per_label": trained["per_label"],
        "tweeteval_per_label": tweeteval["per_label"],
        "rows": {
            "dev": len(dev),
            "tweeteval_offensive_train": len(tweets),
            "tweeteval_dropped_overlap": len(dev_ids)
            and sum(1 for i in dev_ids if i.startswith("tweeteval_offensive:train:")),
        },
        "policy_version": policy.version,
        "model": embedder.model_id,
        "target_precision": args.target_precision,
        "seconds": round(time.perf_counter() - started, 1),
    }
    if not args.json:
        print(f"shipped policy macro-F1 on dev: {shipped['macro_f1']:.4f}")
        print(f"trained head (5-fold CV) macro-F1 on dev: {trained['macro_f1']:.4f}")
        print(f"TweetEval offensive (5-fold CV) macro-F1: {tweeteval['macro_f1']:.4f}")
    print(json.dumps(result))


def assessor_features(assessor: Assessor, texts: list[str], vec: np.ndarray):
    from pipeline.classify.core.scoring import compute_features

    return compute_features(vec, texts, assessor.policy, assessor.index)


if __name__ == "__main__":
    main()
