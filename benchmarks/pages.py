"""The flag page (with its similar decided flags) and the queue page at 10k and 1M decided flags.

    python benchmarks/pages.py --json

Seeds a fresh database (an embedded PostgreSQL in a temporary folder, or --database-url) with
decided flags, each with its post, its review and a 384-dimension vector of the live model,
plus 100 open flags to look at. Rows are made by ``generate_series``; the vectors are random
(posts on topics of themes, about 20 per topic, so that every flag has neighbours under the
distance cap, as real posts do) and are loaded by binary COPY, the HNSW index built once
afterwards. A lead then opens flag pages (``GET /flags/{id}`` through the app in process:
session, view, similar decided flags, audit, template) and the queue page, in rounds that
alternate between the sizes. The last line is one JSON object: the p95 of each page and of
the similar-flags search alone at each size, growth (= p95 at 1M / p95 at 10k; target <= 1.5
for the flag page), the build times, and whether the search's plan uses the HNSW index.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
import time
from contextlib import nullcontext
from pathlib import Path

# Run as a script, this folder would come first on sys.path, and benchmarks/queue.py would
# shadow the standard library's queue module: put the project root there instead.
sys.path.remove(str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from pipeline.config import Settings
from pipeline.db import embedded, migrate
from pipeline.db.models import AppUser, Flag
from pipeline.review import similar
from pipeline.review.passwords import hash_password
from pipeline.review.similar import INDEXED_DIM, similar_decided, similar_search
from pipeline.web import create_app

PEOPLE = 2000
OPEN = 100  # open flags the lead looks at
CLUSTER = 20  # posts per topic
THEMES, TOPIC_SPREAD, POST_SPREAD = 100, 1.0, 1.4  # see topics()
MODEL = "bench-model"
HNSW = "ix_embedding_vector_384_hnsw"
LEAD, PASSWORD = "lead@example.org", "a quiet heron by the river at dawn"
INDEX_SQL = (
    f"CREATE INDEX {HNSW} ON embedding "
    f"USING hnsw ((vector::vector({INDEXED_DIM})) vector_cosine_ops) WHERE dim = {INDEXED_DIM}"
)


def make_database(server_url: str, name: str) -> sa.Engine:
    """A fresh, migrated database ``name`` with people, a live classifier, a lead, a reviewer."""
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name}"))
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    admin.dispose()
    engine = sa.create_engine(sa.engine.make_url(server_url).set(database=name), pool_size=4)
    migrate.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO person (email, display_name, org_unit, seniority_band, pseudonym) "
                "SELECT 'p' || g || '@example.org', 'Person ' || g, 'Unit ' || (g % 40), "
                "'staff', 'P-' || g FROM generate_series(1, :n) g"
            ),
            {"n": PEOPLE},
        )
        conn.execute(
            sa.text(
                "INSERT INTO account (platform, host, handle, kind, owner_id, org_unit, "
                "audience_size) SELECT 'mastodon', 'https://m.example', 'u' || id || "
                "'@m.example', 'personal', id, org_unit, 100 + id FROM person"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO classifier (version, policy_version, model_id, status) "
                "VALUES ('bench-1', 'p1', :m, 'live')"
            ),
            {"m": MODEL},
        )
        # the lead is person 1: the similar flags about person 1's posts are filtered out
        conn.execute(
            sa.text(
                "INSERT INTO app_user (email, password_hash, role, person_id) VALUES "
                "(:lead, :h, 'lead', 1), ('reviewer@example.org', 'x', 'reviewer', 2)"
            ),
            {"lead": LEAD, "h": hash_password(PASSWORD, email=LEAD)},
        )
    return engine


def add_flags(engine: sa.Engine, decided: int, seed: int) -> dict[str, float]:
    """``decided`` decided flags and ``OPEN`` open ones, with posts, reviews and vectors."""
    times: dict[str, float] = {}
    total = decided + OPEN
    t0 = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO post (id, account_id, external_id, text, content_hash, published_at) "
                "SELECT g, 1 + g % :people, g::text, 'synthetic post ' || g, md5(g::text), "
                "now() - (g % 1000) * interval '1 minute' FROM generate_series(1, :n) g"
            ),
            {"people": PEOPLE, "n": total},
        )
        conn.execute(
            sa.text(
                "INSERT INTO flag (post_id, category, content_hash, score, risk, group_key, "
                "created_at, closed_at) SELECT g, (ARRAY['partisan','government_policy',"
                "'vulgar','self_serving'])[1 + g % 4], md5(g::text), 0.6, 0.6, 'b' || g, "
                "now() - interval '2 days', CASE WHEN g <= :d THEN now() - interval '1 day' END "
                "FROM generate_series(1, :n) g"
            ),
            {"d": decided, "n": total},
        )
        conn.execute(
            sa.text(
                "INSERT INTO review (flag_id, reviewer_id, decision, clause, rationale) "
                "SELECT id, 2, (ARRAY['no_concern','advise'])[1 + id % 2], category, "
                "'decided by the benchmark' FROM flag WHERE closed_at IS NOT NULL"
            )
        )
        conn.execute(sa.text("SELECT setval('post_id_seq', :n)"), {"n": total})
    times["rows_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP INDEX IF EXISTS {HNSW}"))
    copy_vectors(engine, total, seed)
    times["vectors_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("SET maintenance_work_mem = '3GB'"))
        conn.execute(sa.text("SET max_parallel_maintenance_workers = 2"))
        conn.execute(sa.text(INDEX_SQL))
        times["index_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        conn.execute(sa.text("VACUUM ANALYZE post, flag, review, embedding"))
        conn.execute(sa.text("CHECKPOINT"))
    times["vacuum_s"] = time.perf_counter() - t0
    return {k: round(v, 1) for k, v in times.items()}


def copy_vectors(engine: sa.Engine, total: int, seed: int, chunk: int = 50_000) -> None:
    """Random vectors of posts on topics of themes (see ``topics``), one per post, by binary
    COPY."""
    rng = np.random.default_rng(seed)
    centres = topics(rng, max(1, total // CLUSTER))
    model = MODEL.encode()
    row = np.dtype(
        [
            ("fields", ">i2"),
            ("hash_len", ">i4"),
            ("hash", "S32"),
            ("model_len", ">i4"),
            ("model", f"S{len(model)}"),
            ("dim_len", ">i4"),
            ("dim", ">i4"),
            ("vector_len", ">i4"),
            ("vector_dim", ">i2"),
            ("vector_unused", ">i2"),
            ("vector", ">f4", (INDEXED_DIM,)),
        ]
    )
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cursor:
            for start in range(1, total + 1, chunk):
                ids = np.arange(start, min(total, start + chunk - 1) + 1)
                rows = np.zeros(len(ids), dtype=row)
                rows["fields"], rows["hash_len"], rows["hash"] = 4, 32, md5_hex(ids)
                rows["model_len"], rows["model"] = len(model), model
                rows["dim_len"], rows["dim"] = 4, INDEXED_DIM
                rows["vector_len"], rows["vector_dim"] = 4 + 4 * INDEXED_DIM, INDEXED_DIM
                rows["vector"] = centres[rng.integers(0, len(centres), len(ids))] + noise(
                    rng, len(ids), POST_SPREAD
                )
                data = b"PGCOPY\n\xff\r\n\x00" + bytes(8) + rows.tobytes() + b"\xff\xff"
                cursor.copy_expert(
                    "COPY embedding (content_hash, model_id, dim, vector) "
                    "FROM STDIN WITH (FORMAT binary)",
                    io.BytesIO(data),
                )
        raw.commit()
    finally:
        raw.close()


def topics(rng: np.random.Generator, count: int) -> np.ndarray:
    """``count`` topic centres, each near one of ``THEMES`` random directions.

    Posts of one topic lie about 0.5 apart (cosine distance), of one theme about 0.75, others
    about 1.0, as in dev.jsonl (median distance to the 5 nearest posts 0.49, same label 0.86,
    different 0.93). Unrelated random points would all lie about 1.0 apart, a space no
    nearest-neighbour index can find its way through, and no text is like that."""
    themes = noise(rng, THEMES, 1.0)
    return themes[rng.integers(0, THEMES, count)] + noise(rng, count, TOPIC_SPREAD)


def noise(rng: np.random.Generator, count: int, length: float) -> np.ndarray:
    """``count`` random vectors of about ``length``."""
    scale = np.float32(length / np.sqrt(INDEXED_DIM))
    return rng.standard_normal((count, INDEXED_DIM), dtype=np.float32) * scale


def md5_hex(ids: np.ndarray) -> list[bytes]:
    """PostgreSQL's md5(g::text) of each id: the posts' content hashes."""
    return [hashlib.md5(str(i).encode()).hexdigest().encode() for i in ids]


def signed_in(engine: sa.Engine) -> TestClient:
    settings = Settings(
        database_url=engine.url.render_as_string(hide_password=False),
        secret_key="bench-key-7Hq2Lp9Xv4Rt6Wm1Zc8Nb3Jd5Kf0Gs",
        cookie_https_only=False,
    )
    client = TestClient(create_app(settings), follow_redirects=False)
    page = client.get("/login").text
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    answer = client.post("/login", data={"email": LEAD, "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 303, answer.text
    return client


def open_flag_ids(engine: sa.Engine) -> list[int]:
    with engine.connect() as conn:
        return list(conn.scalars(sa.text("SELECT id FROM flag WHERE closed_at IS NULL")))


def timed_pages(client: TestClient, ids: list[int], queue_views: int) -> dict[str, list[float]]:
    """Seconds per request: each open flag's page, and ``queue_views`` queue pages."""
    paths = [("flag", f"/flags/{flag_id}") for flag_id in ids] + [("queue", "/queue")] * queue_views
    out: dict[str, list[float]] = {"flag": [], "queue": []}
    for name, path in paths:
        t0 = time.perf_counter()
        answer = client.get(path)
        out[name].append(time.perf_counter() - t0)
        assert answer.status_code == 200, (path, answer.status_code)
    return out


def timed_search(engine: sa.Engine, ids: list[int]) -> tuple[list[float], int]:
    """Seconds per similar-flags search alone, and how many flags the searches listed."""
    seconds, listed = [], 0
    with Session(engine) as session:
        lead = session.scalar(sa.select(AppUser).where(AppUser.email == LEAD))
        for flag_id in ids:
            flag = session.get(Flag, flag_id)
            t0 = time.perf_counter()
            listed += len(similar_decided(session, flag, lead))
            seconds.append(time.perf_counter() - t0)
            session.rollback()
    return seconds, listed


def recall(engine: sa.Engine, ids: list[int], ef_search: int) -> float:
    """Share of the exact search's similar flags that the index search lists too, with the
    HNSW candidate list ``ef_search`` long."""
    kept, found, wanted = similar.EF_SEARCH, 0, 0
    similar.EF_SEARCH = ef_search
    try:
        with Session(engine) as session:
            lead = session.scalar(sa.select(AppUser).where(AppUser.email == LEAD))
            for flag_id in ids:
                flag = session.get(Flag, flag_id)
                approximate = {s["flag_id"] for s in similar_decided(session, flag, lead)}
                session.execute(sa.text("SET LOCAL enable_indexscan = off"))
                exact = {s["flag_id"] for s in similar_decided(session, flag, lead)}
                session.rollback()
                found, wanted = found + len(approximate & exact), wanted + len(exact)
    finally:
        similar.EF_SEARCH = kept
    return round(found / wanted, 4) if wanted else 1.0


def search_plan(engine: sa.Engine, flag_id: int) -> str:
    """The plan of the similar-flags search for ``flag_id``, as the lead's page runs it."""
    with Session(engine) as session:
        lead = session.scalar(sa.select(AppUser).where(AppUser.email == LEAD))
        query, params = similar_search(session, session.get(Flag, flag_id), lead)
        rows = session.execute(sa.text("EXPLAIN " + query.text), params)
        return "\n".join(r[0] for r in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="End with one JSON line.")
    parser.add_argument("--database-url", help="A PostgreSQL+pgvector server (CREATEDB needed).")
    parser.add_argument("--small", type=int, default=10_000, help="Decided flags, baseline.")
    parser.add_argument("--large", type=int, default=1_000_000, help="Decided flags, large.")
    parser.add_argument("--rounds", type=int, default=3, help="Alternating rounds per size.")
    parser.add_argument(
        "--queue-views", type=int, default=10, help="Queue pages per round and size."
    )
    parser.add_argument(
        "--recall-flags", type=int, default=20, help="Flags whose search is checked exactly."
    )
    args = parser.parse_args()
    server = nullcontext(args.database_url) if args.database_url else embedded.temporary()
    result: dict = {}
    labels = {"small": args.small, "large": args.large}
    with server as url:
        engines, clients, ids = {}, {}, {}
        for label, size in labels.items():
            t0 = time.perf_counter()
            engines[label] = make_database(url, f"impartial_bench_pages_{label}")
            build = add_flags(engines[label], size, seed=len(label))
            build["total_s"] = round(time.perf_counter() - t0, 1)
            result[f"build_{label}"] = build
            log(f"[{label}] {size} decided flags: {build}")
            clients[label] = signed_in(engines[label])
            ids[label] = open_flag_ids(engines[label])
            timed_pages(clients[label], ids[label][:10], 1)  # warm the pool and caches
        samples = {f"{p}_{label}": [] for p in ("flag", "queue", "search") for label in labels}
        listed = dict.fromkeys(labels, 0)
        for round_ in range(args.rounds):
            for label in labels:
                pages = timed_pages(clients[label], ids[label], args.queue_views)
                samples[f"flag_{label}"] += pages["flag"]
                samples[f"queue_{label}"] += pages["queue"]
                seconds, found = timed_search(engines[label], ids[label])
                samples[f"search_{label}"] += seconds
                listed[label] += found
                log(f"[{label}] round {round_ + 1}: flag page p95 {p95(pages['flag']):.1f} ms")
        for name, values in samples.items():
            result[f"p95_ms_{name}"] = round(p95(values), 2)
        for page in ("flag", "queue", "search"):
            result[f"growth_{page}"] = round(
                result[f"p95_ms_{page}_large"] / result[f"p95_ms_{page}_small"], 3
            )
        for label in labels:
            result[f"similar_listed_per_flag_{label}"] = round(
                listed[label] / (args.rounds * len(ids[label])), 2
            )
            for ef_search in (40, similar.EF_SEARCH):
                result[f"recall_at_5_ef{ef_search}_{label}"] = recall(
                    engines[label], ids[label][: args.recall_flags], ef_search
                )
            plan = search_plan(engines[label], ids[label][0])
            result[f"search_uses_hnsw_{label}"] = HNSW in plan
            clients[label].close()
            engines[label].dispose()
        log(plan)
    result["sizes"] = labels
    result["growth_ratio"] = result["growth_flag"]
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[int(0.95 * (len(ordered) - 1))] * 1000 if ordered else 0.0


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
