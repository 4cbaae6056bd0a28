"""Claim + decide with 16 concurrent reviewers at 10k and at 1M queued flags.

    python benchmarks/queue.py --json

Seeds a fresh database (an embedded PostgreSQL in a temporary folder, or --database-url) with
flags bulk-inserted by ``generate_series``, then has 16 reviewer threads each claim and decide
``--ops`` flags through ``pipeline.review`` (one transaction for the claim, one for the
decision, as the web app does). Measured at 10k queued flags (the baseline) and again after
growing the queue to 1M. The last line is one JSON object: p95_ms_10k, p95_ms_1m,
growth_ratio (= p95_ms_1m / p95_ms_10k; target <= 1.5), double_claims (must be 0),
decisions_per_s (at 1M), and whether the claim query's plan uses the open-flag index.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections import Counter
from contextlib import nullcontext
from pathlib import Path

# Run as a script, this folder would come first on sys.path and benchmarks/queue.py would
# shadow the standard library's queue module: put the project root there instead.
sys.path.remove(str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pipeline import review as queue
from pipeline.db import embedded, migrate
from pipeline.db.models import AppUser
from pipeline.review.claims import CLAIM_SQL

REVIEWERS = 16
PEOPLE = 2000


def seed_base(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO person (email, display_name, org_unit, seniority_band, pseudonym) "
                "SELECT 'p' || g || '@example.org', 'Person ' || g, 'Unit ' || (g % 40), "
                "(ARRAY['staff','supervisor','manager','executive'])[1 + g % 4], 'P-' || g "
                "FROM generate_series(1, :n) g"
            ),
            {"n": PEOPLE},
        )
        conn.execute(
            sa.text(
                "INSERT INTO account (platform, host, handle, kind, owner_id, org_unit, "
                "audience_size) SELECT 'mastodon', 'https://m.example', 'u' || id || '@m.example', "
                "'personal', id, org_unit, 100 + id FROM person"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO app_user (email, password_hash, role, person_id) "
                "SELECT 'reviewer' || g || '@example.org', 'x', 'reviewer', g "
                "FROM generate_series(1, :n) g"
            ),
            {"n": REVIEWERS},
        )


def grow_queue(engine: sa.Engine, target_open: int) -> int:
    """Insert posts and flags until ``target_open`` flags are open; returns rows added."""
    with engine.begin() as conn:
        open_now = conn.scalar(sa.text("SELECT count(*) FROM flag WHERE closed_at IS NULL"))
        start = conn.scalar(sa.text("SELECT coalesce(max(id), 0) FROM post"))
        add = max(0, target_open - open_now)
        conn.execute(
            sa.text(
                "INSERT INTO post (id, account_id, external_id, text, content_hash, published_at) "
                "SELECT g, 1 + g % :people, g::text, 'synthetic post ' || g, md5(g::text), "
                "now() - (g % 1000) * interval '1 minute' FROM generate_series(:a, :b) g"
            ),
            {"people": PEOPLE, "a": start + 1, "b": start + add},
        )
        conn.execute(
            sa.text(
                "INSERT INTO flag (post_id, category, content_hash, score, risk, group_key, "
                "created_at) SELECT g, (ARRAY['partisan','government_policy','vulgar',"
                "'self_serving'])[1 + g % 4], md5(g::text), r, r, 'b' || g, "
                "now() - (g % 5000) * interval '1 minute' "
                "FROM generate_series(:a, :b) g, LATERAL (SELECT random() AS r OFFSET 0 * g) x"
            ),
            {"a": start + 1, "b": start + add},
        )
        conn.execute(sa.text("SELECT setval('post_id_seq', (SELECT max(id) FROM post))"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE post, flag, account, review"))
    return add


def claim_plan(engine: sa.Engine) -> str:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("EXPLAIN " + CLAIM_SQL.text),
            {"user_id": 1, "lease_until": "2100-01-01", "at": "2000-01-01", "person_ids": [1]},
        )
        return "\n".join(r[0] for r in rows)


def run_reviewers(engine: sa.Engine, ops: int) -> dict:
    start = threading.Barrier(REVIEWERS + 1)
    latencies: list[float] = []
    claimed: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def reviewer(index: int) -> None:
        mine: list[float] = []
        ids: list[int] = []
        try:
            with Session(engine) as session:
                user = session.get(AppUser, index + 1)
                start.wait()
                for _ in range(ops):
                    t0 = time.perf_counter()
                    flag = queue.claim_next(session, user)
                    session.commit()
                    if flag is None:
                        break
                    queue.decide(
                        session,
                        flag.id,
                        user,
                        decision="no_concern",
                        clause=flag.category,
                        rationale="benchmark",
                    )
                    session.commit()
                    mine.append(time.perf_counter() - t0)
                    ids.append(flag.id)
        except BaseException as exc:
            errors.append(exc)
        with lock:
            latencies.extend(mine)
            claimed.extend(ids)

    threads = [threading.Thread(target=reviewer, args=(i,)) for i in range(REVIEWERS)]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    if errors:
        raise errors[0]
    return {"latencies": latencies, "claimed": claimed, "wall_s": wall}


def set_reviewers(n: int) -> None:
    global REVIEWERS
    REVIEWERS = n


def make_database(server_url: str, name: str) -> sa.Engine:
    """A fresh, migrated database ``name`` on the server, with people and reviewers."""
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name}"))
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    admin.dispose()
    url = sa.engine.make_url(server_url).set(database=name)
    engine = sa.create_engine(url, pool_size=REVIEWERS + 2, max_overflow=4)
    migrate.upgrade(engine)
    seed_base(engine)
    return engine


def checkpoint(engine: sa.Engine) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("CHECKPOINT"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="End with one JSON line.")
    parser.add_argument("--database-url", help="A PostgreSQL+pgvector server (CREATEDB needed).")
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--ops", type=int, default=15, help="Claim+decide per reviewer per round.")
    parser.add_argument("--rounds", type=int, default=4, help="Alternating rounds per size.")
    parser.add_argument("--reviewers", type=int, default=REVIEWERS, help="Concurrent reviewers.")
    args = parser.parse_args()
    set_reviewers(args.reviewers)
    server = nullcontext(args.database_url) if args.database_url else embedded.temporary()
    with server as url:
        engines = {}
        for label, size in (("10k", args.small), ("1m", args.large)):
            engines[label] = make_database(url, f"impartial_bench_{label}")
            t0 = time.perf_counter()
            grow_queue(engines[label], size)
            checkpoint(engines[label])
            log(f"[{label}] queued {size} flags in {time.perf_counter() - t0:.1f}s")
            run_reviewers(engines[label], 3)  # warm the pool and the caches
        # Rounds alternate between the sizes, so background load on the machine hits both.
        samples: dict[str, list[float]] = {"10k": [], "1m": []}
        claimed: dict[str, list[int]] = {"10k": [], "1m": []}
        busy = {"10k": 0.0, "1m": 0.0}
        for round_ in range(args.rounds):
            for label in ("10k", "1m"):
                stats = run_reviewers(engines[label], args.ops)
                samples[label] += stats["latencies"]
                claimed[label] += stats["claimed"]
                busy[label] += stats["wall_s"]
                log(f"[{label}] round {round_ + 1}: p95 {p95(stats['latencies']):.1f} ms")
        result: dict = {}
        for label, engine in engines.items():
            result[f"p95_ms_{label}"] = round(p95(samples[label]), 2)
            result[f"decisions_per_s_{label}"] = round(len(samples[label]) / busy[label], 1)
            plan = claim_plan(engine)
            result[f"claim_uses_index_{label}"] = "ix_flag_queue_order" in plan
            with engine.connect() as conn:
                result.setdefault("double_decisions", 0)
                result["double_decisions"] += conn.scalar(
                    sa.text(
                        "SELECT count(*) FROM (SELECT flag_id FROM review GROUP BY flag_id "
                        "HAVING count(*) > 1) d"
                    )
                )
            engine.dispose()
        log(plan)
    result["double_claims"] = sum(
        sum(1 for n in Counter(ids).values() if n > 1) for ids in claimed.values()
    )
    result["growth_ratio"] = round(result["p95_ms_1m"] / result["p95_ms_10k"], 3)
    result["decisions_per_s"] = result["decisions_per_s_1m"]
    result["reviewers"] = REVIEWERS
    result["decisions"] = len(samples["1m"]) + len(samples["10k"])
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[int(0.95 * (len(ordered) - 1))] * 1000 if ordered else 0.0


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
