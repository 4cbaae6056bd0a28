"""Agreement of the int8 fast path with a fine-tuned version's float32 flags, on dev.jsonl.

The fine-tuned version of dev.jsonl (``impartial train dev.jsonl --map ... --fine-tune``, with
the mapping of classify_quality.py and the default settings) is taken from the model cache, or
fine-tuned here when the cache lacks it. Every dev post is judged by that version with the same
decision code twice: from the fine-tuned model's float32 vectors (the baseline), and through the
fast path as ``impartial assess`` runs it with ``IMPARTIAL_FAST_PATH=cascade`` (the int8 screen,
and the int8 full model for the posts it cannot settle), calibrated on the policy's exemplar
fragments and on tweets of tweeteval_offensive_train.jsonl that are not in dev.jsonl (a
deployment's past traffic). ``agreement`` is the share of posts flagged for exactly the same
categories. ``agreement_traffic_alike``: the same when the cascade is calibrated on posts like
the ones it judges (each half of dev.jsonl judged by a cascade calibrated on the other half);
``int8_full_agreement``: the int8 full model on every post (no screen).

Needs no database. The last line is one JSON object.

Example: IMPARTIAL_DATA_DIR=/tmp/x python benchmarks/finetuned_fast_path.py --json
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

from benchmarks._data import DATA, MAPS, read_rows
from pipeline.classify.core.assessor import Assessor, exemplar_index
from pipeline.classify.core.cascade import Cascade, exemplar_fragments
from pipeline.classify.core.evaluate import metrics, predict_label
from pipeline.classify.core.holdout import label_order
from pipeline.classify.core.labeled import read_training_rows
from pipeline.classify.core.risk import Context
from pipeline.classify.core.scoring import Head, feature_width
from pipeline.classify.embedding.factory import get_embedder, get_fast_embedders
from pipeline.classify.finetune.recipe import Recipe
from pipeline.classify.finetune.register import fine_tune_set
from pipeline.classify.guidance import load_policy
from pipeline.config import get_settings

TWEETS = "tweeteval_offensive_train.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--calibration", type=int, default=1000, help="Tweets that calibrate.")
    args = parser.parse_args()
    settings = get_settings()
    policy = load_policy()
    data = read_training_rows([args.data / "dev.jsonl"], MAPS)
    started = time.perf_counter()
    tuned = fine_tune_set(data, Recipe())
    tune_s = time.perf_counter() - started
    head = Head(
        coef=np.hstack(
            [tuned.coef, np.zeros((len(tuned.labels), feature_width(policy)), np.float32)]
        ),
        intercept=tuned.intercept,
        labels=tuned.labels,
        categories={label: data.mapping.get(label, []) for label in tuned.labels},
    )
    texts = [policy.strip_disclaimers(t) for t in data.texts]
    exact = get_embedder(tuned.model_id)
    baseline = Assessor(
        policy,
        exemplar_index(policy, exact.model_id, exact.encode),
        tuned.thresholds,
        head,
    )
    started = time.perf_counter()
    slow = baseline.judge(texts, exact.encode(texts))
    float32_s = time.perf_counter() - started

    full, screen = get_fast_embedders(tuned.model_id)
    fast = Assessor(
        policy, exemplar_index(policy, full.model_id, full.encode), tuned.thresholds, head
    )
    fragments = exemplar_fragments(policy)
    fragment_vectors = full.encode(fragments)
    dev_vectors = full.encode(texts)
    int8 = fast.judge(texts, dev_vectors)
    coverage = settings.fast_path_coverage

    def calibrated(posts: list[str], vectors: np.ndarray) -> Cascade:
        return Cascade.calibrate(
            {0: fast},
            screen,
            fragments + posts,
            np.vstack([fragment_vectors, vectors]),
            coverage=coverage,
            is_post=[False] * len(fragments) + [True] * len(posts),
        )

    def judge(cascade: Cascade, sub: list[str]) -> list:
        return cascade.judge(
            {0: fast}, full.encode, sub, [Context()] * len(sub), [False] * len(sub)
        )[0]

    dev_ids = {r["id"] for r in data.rows}
    tweets = [r["text"] for r in read_rows(args.data / TWEETS) if r["id"] not in dev_ids]
    tweets = [policy.strip_disclaimers(t) for t in tweets[: args.calibration]]
    cascade = calibrated(tweets, full.encode(tweets))
    started = time.perf_counter()
    judged = judge(cascade, texts)
    cascade_s = time.perf_counter() - started
    # traffic like the calibration's: each half of dev.jsonl judged by a cascade calibrated on
    # the other half (cross-fitted, so no post calibrates the cascade that judges it)
    halves = np.array_split(np.random.default_rng(0).permutation(len(texts)), 2)
    alike: list = [None] * len(texts)
    alike_rescored = 0
    for calibrate_on, judge_on in ((0, 1), (1, 0)):
        part = calibrated(
            [texts[i] for i in halves[calibrate_on]], dev_vectors[halves[calibrate_on]]
        )
        for i, j in zip(
            halves[judge_on], judge(part, [texts[i] for i in halves[judge_on]]), strict=True
        ):
            alike[i] = j
        alike_rescored += part.rescored

    labels, order = data.labels, label_order(data.mapping)

    def macro_f1(judgements) -> float:
        predicted = [predict_label(j.scores, tuned.thresholds, data.mapping) for j in judgements]
        return metrics(labels, predicted, order)["macro_f1"]

    def agreement(judgements) -> float:
        same = sum(a.flagged == b.flagged for a, b in zip(slow, judgements, strict=True))
        return round(same / len(slow), 4)

    result = {
        "model": tuned.model_id,
        "reused": tuned.reused,
        "fine_tune_s": round(tune_s, 1),
        "posts": len(texts),
        "agreement": agreement(judged),
        "rescored_share": round(cascade.rescored / len(texts), 4),
        "agreement_traffic_alike": agreement(alike),
        "rescored_share_traffic_alike": round(alike_rescored / len(texts), 4),
        "int8_full_agreement": agreement(int8),
        "macro_f1_float32": macro_f1(slow),
        "macro_f1_fast_path": macro_f1(judged),
        "macro_f1_fast_path_traffic_alike": macro_f1(alike),
        "macro_f1_int8_full": macro_f1(int8),
        "float32_s": round(float32_s, 1),
        "fast_path_s": round(cascade_s, 1),
        "speedup": round(float32_s / cascade_s, 2),
        "calibration": cascade.calibration,
    }
    if not args.json:
        for key, value in result.items():
            print(f"{key}: {value}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
