"""Speed of the whole assess stage (embed + score + store assessments and flags) against raw
``SentenceTransformer.encode`` on the same texts in the same run, and a second pass after the
assessments are dropped (a re-score, e.g. after a policy change) that must run no model.

The fast path (``fast_path="cascade"``) is timed on the same chunks in the same rounds. It is
calibrated first, like a deployment that has run for a while, on posts the full model has
already embedded: a sample of tweeteval_offensive_train.jsonl (rows that are also in dev.jsonl
left out). ``speedup`` is its assess-stage posts/s over the PyTorch path's (``model_speedup``:
the same without storage, i.e. screen + re-scoring against ``SentenceTransformer.encode``), and
``f1_loss`` is the shipped policy's macro-F1 on all of dev.jsonl with the full model minus with
the cascade (the label mapping of classify_quality.py).

Uses a throwaway embedded PostgreSQL (or --database-url). The last line is one JSON object.

Example: python benchmarks/classify_speed.py --json --limit 1000
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import time
from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path

# Run as a script, this folder would come first on sys.path and benchmarks/queue.py would
# shadow the standard library's queue module: put the project root there instead.
sys.path.remove(str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa

from benchmarks._data import DATA, read_rows
from pipeline.classify.assess import assess_pending
from pipeline.classify.core.assessor import Assessor, exemplar_index
from pipeline.classify.core.cascade import Cascade
from pipeline.classify.core.evaluate import metrics, predict_label
from pipeline.classify.core.labeled import parse_mapping
from pipeline.classify.core.risk import Context
from pipeline.classify.embedding.base import text_hash
from pipeline.classify.embedding.cache import embed_cached
from pipeline.classify.embedding.factory import get_embedder, get_fast_embedders
from pipeline.classify.fast_path import build_cascade
from pipeline.classify.guidance import load_policy
from pipeline.classify.store import assessor_for, ensure_live_classifier
from pipeline.config import get_settings
from pipeline.db import embedded, migrate
from pipeline.db.models import Account, Assessment, Embedding, Flag, Person, Post

TWEETS = "tweeteval_offensive_train.jsonl"


def add_account(engine: sa.Engine, handle: str = "bench") -> int:
    with engine.begin() as conn:
        person = conn.execute(
            sa.insert(Person)
            .values(
                email=f"{handle}@example.org",
                display_name="Bench",
                org_unit="Bench Unit",
                seniority_band="manager",
                pseudonym=f"P-{handle.upper()}",
            )
            .returning(Person.id)
        ).scalar_one()
        return conn.execute(
            sa.insert(Account)
            .values(
                platform="rss",
                host="http://127.0.0.1",
                handle=handle,
                kind="personal",
                owner_id=person,
                audience_size=2000,
            )
            .returning(Account.id)
        ).scalar_one()


def load_posts(engine: sa.Engine, account: int, texts: list[str], start: int) -> None:
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(Post),
            [
                {
                    "account_id": account,
                    "external_id": str(start + i),
                    "text": t,
                    "lang": "en",
                    "content_hash": hashlib.sha256(t.encode()).hexdigest(),
                    "published_at": now,
                }
                for i, t in enumerate(texts)
            ],
        )


def raw_encode(embedder, texts: list[str]) -> float:
    started = time.perf_counter()
    embedder.model.encode(
        texts, batch_size=embedder.batch_size, normalize_embeddings=True, show_progress_bar=False
    )
    return len(texts) / (time.perf_counter() - started)


def forget(engine: sa.Engine, texts: list[str], model_id: str) -> None:
    """Drop the assessments, flags and full-model vectors of ``texts`` (not timed)."""
    hashes = [hashlib.sha256(t.encode()).hexdigest() for t in texts]
    policy = load_policy()
    embedded_hashes = [text_hash(policy.strip_disclaimers(t)) for t in texts]
    with engine.begin() as conn:
        posts = sa.select(Post.id).where(Post.content_hash.in_(hashes))
        conn.execute(sa.delete(Flag).where(Flag.post_id.in_(posts)))
        conn.execute(sa.delete(Assessment).where(Assessment.post_id.in_(posts)))
        conn.execute(
            sa.delete(Embedding).where(
                Embedding.model_id == model_id, Embedding.content_hash.in_(embedded_hashes)
            )
        )


def f1_loss(embedder, fast_full, cascade: Cascade, data: Path, cache_dir: Path | None) -> dict:
    """Shipped-policy macro-F1 on dev.jsonl: full model vs the cascade (same decision code)."""
    from benchmarks._data import MAPS, vectors

    policy = load_policy()
    dev = read_rows(data / "dev.jsonl")
    labels = [r["label"] for r in dev]
    mapping = parse_mapping(MAPS, labels)
    names = sorted(mapping, key=lambda k: (not mapping[k], k))
    texts = [policy.strip_disclaimers(r["text"]) for r in dev]
    thresholds = {c: policy.threshold(c) for c in policy.categories}
    full_vectors = vectors(embedder, texts, cache_dir)
    full = Assessor(policy, exemplar_index(policy, embedder.model_id, embedder.encode), thresholds)
    fast = Assessor(
        policy, exemplar_index(policy, fast_full.model_id, fast_full.encode), thresholds
    )
    (cid,) = cascade.bands
    rescored_before = cascade.rescored
    judged = cascade.judge(
        {cid: fast},
        lambda t: fast_full.encode(t),
        texts,
        [Context()] * len(texts),
        [False] * len(texts),
    )[cid]
    slow = full.judge(texts, full_vectors)
    f1_full = metrics(labels, [predict_label(j.scores, thresholds, mapping) for j in slow], names)
    f1_fast = metrics(labels, [predict_label(j.scores, thresholds, mapping) for j in judged], names)
    return {
        "full": f1_full["macro_f1"],
        "fast": f1_fast["macro_f1"],
        "rescored_share": round((cascade.rescored - rescored_before) / len(texts), 3),
        # what clean traffic would cost: the share of benign-labelled posts re-scored
        "rescored_share_benign_rows": round(
            float(
                statistics.mean(
                    [
                        j.explanation["scored_path"] == "full model"
                        for j, y in zip(judged, labels, strict=True)
                        if not mapping.get(y)
                    ]
                )
            ),
            3,
        ),
        "flags_differ": sum(a.flagged != b.flagged for a, b in zip(slow, judged, strict=True)),
    }


def judge_only(cascade: Cascade, fast_full, policy, chunk: list[str]) -> float:
    """Seconds the cascade takes to judge ``chunk`` without the database (model + scoring)."""
    thresholds = {c: policy.threshold(c) for c in policy.categories}
    (cid,) = cascade.bands
    assessor = Assessor(
        policy, exemplar_index(policy, fast_full.model_id, fast_full.encode), thresholds
    )
    texts = [policy.strip_disclaimers(t) for t in chunk]
    started = time.perf_counter()
    cascade.judge(
        {cid: assessor},
        fast_full.encode,
        texts,
        [Context()] * len(texts),
        [False] * len(texts),
    )
    return time.perf_counter() - started


def calibrate(engine: sa.Engine, data: Path, sample: int, fast_full, screen) -> Cascade:
    """Store a sample of tweets as posts with the full model's vectors (a deployment's past
    traffic), then calibrate the cascade on them like ``assess_pending`` does."""
    dev_ids = {r["id"] for r in read_rows(data / "dev.jsonl")}
    rows = [r for r in read_rows(data / TWEETS) if r["id"] not in dev_ids]
    texts = [r["text"] for r in rows[:sample]]
    policy = load_policy()
    with sa.orm.Session(engine) as session:
        account = add_account(engine, handle="calibration")
        if texts:
            load_posts(engine, account, texts, 10**7)
        embed_cached(session, fast_full, list({policy.strip_disclaimers(t) for t in texts}))
        live = ensure_live_classifier(
            session, policy=policy, model_id=fast_full.model_id.split("@")[0]
        )
        assessors = {live.id: assessor_for(session, live, fast_full, policy)}
        cascade = build_cascade(session, assessors, policy, fast_full, screen)
        # the timed rounds assess only dev posts: the calibration posts go (their vectors stay)
        session.execute(sa.delete(Post).where(Post.account_id == account))
        session.commit()
    return cascade


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--limit", type=int, default=1000, help="Posts to assess.")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--chunk", type=int, default=200, help="Posts per paired round.")
    parser.add_argument("--cache-dir", type=Path, default=None, help="Reuse dev embeddings.")
    parser.add_argument(
        "--calibration", type=int, default=3000, help="Tweets that calibrate the fast path."
    )
    args = parser.parse_args()
    texts = [r["text"] for r in read_rows(args.data / "dev.jsonl")][: args.limit]
    server = nullcontext(args.database_url) if args.database_url else embedded.temporary()
    with server as url:
        engine = sa.create_engine(url)
        migrate.upgrade(engine)
        account = add_account(engine)
        policy = load_policy()
        embedder = get_embedder()
        raw_encode(embedder, texts[:64])  # warm-up
        started = time.perf_counter()
        fast_full, screen = get_fast_embedders()
        fast_load_s = time.perf_counter() - started
        fast_full.encode(texts[:64])
        screen.encode(texts[:64])
        started = time.perf_counter()
        cascade = calibrate(engine, args.data, args.calibration, fast_full, screen)
        calibrate_s = time.perf_counter() - started
        # The exemplar vectors are embedded once per policy version (and cached in the
        # database); build them before timing, like the model load.
        with sa.orm.Session(engine) as session:
            exemplar_index(policy, embedder.model_id, lambda t: embed_cached(session, embedder, t))
            session.commit()
        # Paired rounds: each chunk is encoded raw, assessed by the cascade, forgotten, then
        # assessed by the full model (new posts), so a busy machine slows all sides alike.
        raw_s = stage_s = fast_s = judge_s = 0.0
        model_calls = assessed = flags = fast_calls = fast_flags = fast_kept = 0
        audited = disagreed = 0
        for start in range(0, len(texts), args.chunk):
            chunk = texts[start : start + args.chunk]
            load_posts(engine, account, chunk, start)
            raw_s += len(chunk) / raw_encode(embedder, chunk)
            started = time.perf_counter()
            fast = assess_pending(
                engine, embedder=fast_full, fast_path="cascade", screen=screen, cascade=cascade
            )
            fast_s += time.perf_counter() - started
            judge_s += judge_only(cascade, fast_full, policy, chunk)
            fast_calls += fast.model_calls
            fast_kept += fast.screen_kept
            audited += fast.screen_audited
            disagreed += fast.screen_disagreed
            fast_flags += fast.flags_created
            forget(engine, chunk, embedder.model_id)
            started = time.perf_counter()
            summary = assess_pending(engine, embedder=embedder, fast_path="off")
            stage_s += time.perf_counter() - started
            model_calls += summary.model_calls
            assessed += summary.assessed
            flags += summary.flags_created
        baseline = len(texts) / raw_s
        stage = len(texts) / stage_s
        with engine.begin() as conn:  # a re-score: drop the machine's output, keep embeddings
            conn.execute(sa.delete(Flag))
            conn.execute(sa.delete(Assessment))
        started = time.perf_counter()
        second = assess_pending(engine, embedder=embedder, fast_path="off")
        second_rate = len(texts) / (time.perf_counter() - started)
        engine.dispose()
    quality = f1_loss(embedder, fast_full, cascade, args.data, args.cache_dir)
    result = {
        "posts": len(texts),
        "baseline_encode_posts_per_s": round(baseline, 1),
        "assess_posts_per_s": round(stage, 1),
        "ratio": round(stage / baseline, 3),
        "model_calls_first_pass": model_calls,
        "model_calls_second_pass": second.model_calls,
        "second_pass_posts_per_s": round(second_rate, 1),
        "second_pass_speedup": round(second_rate / baseline, 2),
        "assessed": assessed,
        "flags_created": flags,
        "fast_path": "cascade",
        "fast_assess_posts_per_s": round(len(texts) / fast_s, 1),
        "speedup": round(stage_s / fast_s, 3),
        "model_speedup": round(raw_s / judge_s, 3),
        "fast_model_calls": fast_calls,
        "fast_screen_kept": fast_kept,
        "fast_flags_created": fast_flags,
        "fast_screen_audited": audited,
        "fast_screen_disagreed": disagreed,
        "fast_full_model": fast_full.model_id,
        "fast_screen_model": screen.model_id,
        "fast_coverage": get_settings().fast_path_coverage,
        "fast_models_load_s": round(fast_load_s, 1),
        "fast_calibration_s": round(calibrate_s, 1),
        "fast_calibration": cascade.calibration,
        "f1_loss": round(quality["full"] - quality["fast"], 4),
        "f1_full": quality["full"],
        "f1_fast": quality["fast"],
        "f1_rescored_share": quality["rescored_share"],
        "f1_rescored_share_benign_rows": quality["rescored_share_benign_rows"],
        "f1_posts_flags_differ": quality["flags_differ"],
        "targets": {"ratio": 0.85, "model_calls_second_pass": 0, "speedup": 3.0, "f1_loss": 0.01},
    }
    if not args.json:
        print(
            f"assess {stage:.1f} posts/s vs encode {baseline:.1f} posts/s "
            f"(ratio {result['ratio']}); second pass model calls {second.model_calls}"
        )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
