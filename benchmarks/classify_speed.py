"""Speed of the whole assess stage (embed + score + store assessments and flags) against raw
``SentenceTransformer.encode`` on the same texts in the same run, and a second pass after the
assessments are dropped (a re-score, e.g. after a policy change) that must run no model.

Uses a throwaway embedded PostgreSQL (or --database-url). The last line is one JSON object.

Example: python benchmarks/classify_speed.py --json --limit 1000
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

# Run as a script, this folder would come first on sys.path and benchmarks/queue.py would
# shadow the standard library's queue module: put the project root there instead.
sys.path.remove(str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa

from benchmarks._data import DATA, read_rows
from pipeline.assessor import exemplar_index
from pipeline.classify import assess_pending
from pipeline.db import embedded, migrate
from pipeline.db.models import Account, Assessment, Flag, Person, Post
from pipeline.embedding import embed_cached, get_embedder
from pipeline.guidance import load_policy


def add_account(engine: sa.Engine) -> int:
    with engine.begin() as conn:
        person = conn.execute(
            sa.insert(Person)
            .values(
                email="bench@example.org",
                display_name="Bench",
                org_unit="Bench Unit",
                seniority_band="manager",
                pseudonym="P-BENCH",
            )
            .returning(Person.id)
        ).scalar_one()
        return conn.execute(
            sa.insert(Account)
            .values(
                platform="rss",
                host="http://127.0.0.1",
                handle="bench",
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--limit", type=int, default=1000, help="Posts to assess.")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--chunk", type=int, default=200, help="Posts per paired round.")
    args = parser.parse_args()
    texts = [r["text"] for r in read_rows(args.data / "dev.jsonl")][: args.limit]
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or embedded.start(Path(tmp), cleanup_mode="stop")
        engine = sa.create_engine(url)
        migrate.upgrade(engine)
        account = add_account(engine)
        policy = load_policy()
        embedder = get_embedder()
        raw_encode(embedder, texts[:64])  # warm-up
        # The exemplar vectors are embedded once per policy version (and cached in the
        # database); build them before timing, like the model load.
        with sa.orm.Session(engine) as session:
            exemplar_index(policy, embedder.model_id, lambda t: embed_cached(session, embedder, t))
            session.commit()
        # Paired rounds: each chunk is encoded raw, then assessed (new posts), so a busy
        # machine slows both sides alike.
        raw_s = stage_s = 0.0
        model_calls = assessed = flags = 0
        for start in range(0, len(texts), args.chunk):
            chunk = texts[start : start + args.chunk]
            load_posts(engine, account, chunk, start)
            raw_s += len(chunk) / raw_encode(embedder, chunk)
            started = time.perf_counter()
            summary = assess_pending(engine, embedder=embedder)
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
        second = assess_pending(engine, embedder=embedder)
        second_rate = len(texts) / (time.perf_counter() - started)
        engine.dispose()
        if not args.database_url:
            embedded.stop(Path(tmp))
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
        "targets": {"ratio": 0.85, "model_calls_second_pass": 0},
    }
    if not args.json:
        print(
            f"assess {stage:.1f} posts/s vs encode {baseline:.1f} posts/s "
            f"(ratio {result['ratio']}); second pass model calls {second.model_calls}"
        )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
