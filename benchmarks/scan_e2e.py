"""End-to-end scan benchmark: the nightly scan of a fleet of fake accounts in one process
(``impartial scan``) and through a real Airflow scheduler, and the assess stage in partitions.

    python benchmarks/scan_e2e.py --json                 # 2,000 accounts over 20 fake hosts
    python benchmarks/scan_e2e.py --no-airflow --json    # in-process scan and partitions only

The fake hosts (``pipeline.fakes``, no rate limit) run in a child process, the database is a
throwaway embedded PostgreSQL, the model is the configured one. Three measurements on the same
data, each from an empty scan output (posts, assessments, flags, cached vectors):

1. ``inprocess_s``: ``run_all`` (what ``impartial scan`` runs), fetching through assessment and
   queueing, the model loaded on the way.
2. ``airflow_s``: the same scan through a real Airflow (``pipeline.jobs.airflow_stack``:
   scheduler, dag-processor, triggerer, api-server, LocalExecutor, metadata database in the same
   PostgreSQL), from a run triggered through the REST API (no logical date) to its end; the
   stack is started and the DAG parsed before the clock starts. ``overhead_ratio =
   airflow_s / inprocess_s`` (goal <= 1.3); ``tasks_per_minute`` counts every task instance
   (mapped ones one by one) over ``airflow_s``.
3. The assess stage alone, on the posts the scans stored (their vectors dropped, the
   guidance exemplars' kept, as after an earlier night): one process assessing everything,
   then ``--partitions`` processes each assessing one partition at once (every process loads
   the model, as every Airflow worker does). ``assess_speedup`` is the first wall time over
   the second.

The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# Run as a script, this folder would come first on sys.path and benchmarks/queue.py would
# shadow the standard library's queue module: put the project root there instead.
# (A spawned child runs this again with the parent's path: hence the checks.)
if str(Path(__file__).resolve().parent) in sys.path:
    sys.path.remove(str(Path(__file__).resolve().parent))
if str(Path(__file__).resolve().parents[1]) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# What a scan writes; the registry (people, accounts, consents, classifiers) stays.
SCAN_OUTPUT = "post, assessment, flag, embedding, source_cursor, scan_run"
ACTOR = "benchmark:scan_e2e"


# --- the fleet (child process) -------------------------------------------------------------


def serve_fleet(conn: Any, accounts: int, hosts: int, seed: int) -> None:
    from benchmarks._fleet import CONCERNS, WORDS, Fleet

    words = (*WORDS, "team", "report")
    fleet = Fleet(accounts, hosts, seed, words=words, concerns=CONCERNS, extras=False)
    conn.send(fleet.describe())
    conn.recv()  # stop
    fleet.stop()


def empty(engine: Any, tables: str = SCAN_OUTPUT) -> None:
    import sqlalchemy as sa

    with engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


# --- the three measurements ----------------------------------------------------------------


def in_process() -> tuple[float, dict[str, Any]]:
    from pipeline.jobs.nightly_scan import run_all

    started = time.perf_counter()
    summary = run_all(trigger="benchmark")
    return time.perf_counter() - started, summary


def through_airflow(timeout_s: float, say: Any) -> dict[str, Any]:
    from pipeline.jobs import airflow_stack

    stack = airflow_stack.up(schedule=False, log=say)
    try:
        api = stack.api()
        api.dag("nightly_scan", wait_s=300)
        api.unpause("nightly_scan")
        started = time.perf_counter()
        run_id = api.trigger("nightly_scan")
        outcome = api.wait("nightly_scan", run_id, timeout_s=timeout_s)
        wall = time.perf_counter() - started
    finally:
        airflow_stack.down(stack.home)
    return {"wall_s": wall, "state": outcome.state, "tasks": outcome.tasks}


def _assess_one(partition: dict, results: Any) -> None:
    from pipeline.jobs import assess_partitions

    results.put(assess_partitions.assess_partition(partition))


def assess_in_processes(partitions: list[dict]) -> tuple[float, list[dict]]:
    """Each partition in its own process, all at once; the wall time until the last ends."""
    spawn = multiprocessing.get_context("spawn")
    results = spawn.Queue()
    started = time.perf_counter()
    workers = [spawn.Process(target=_assess_one, args=(p, results)) for p in partitions]
    for worker in workers:
        worker.start()
    out = [results.get(timeout=3600) for _ in workers]
    for worker in workers:
        worker.join()
    return time.perf_counter() - started, out


def forget_posts_vectors(engine: Any) -> None:
    """Empty the assess stage's output and the posts' cached vectors; the guidance exemplars'
    vectors stay cached, as they are after any earlier night."""
    import sqlalchemy as sa

    from pipeline.classify.embedding.base import text_hash
    from pipeline.classify.guidance import load_policy

    policy = load_policy()
    with engine.connect() as db:
        texts = db.scalars(sa.text("SELECT text FROM post WHERE text IS NOT NULL")).all()
    hashes = sorted({text_hash(policy.strip_disclaimers(t)) for t in texts})
    empty(engine, "assessment, flag, scan_run")
    with engine.begin() as db:
        db.execute(sa.text("DELETE FROM embedding WHERE content_hash = ANY(:h)"), {"h": hashes})


def assess_speedup(engine: Any, parts: int) -> dict[str, Any]:
    from pipeline.jobs import assess_partitions

    forget_posts_vectors(engine)
    one = assess_partitions.plan("benchmark/assess", partitions=1, min_posts=1)
    one_s, one_results = assess_in_processes(one)
    forget_posts_vectors(engine)
    many = assess_partitions.plan("benchmark/assess", partitions=parts, min_posts=1)
    many_s, many_results = assess_in_processes(many)
    return {
        "posts": sum(r["posts"] for r in one_results),
        "posts_in_partitions": sum(r["posts"] for r in many_results),
        "partition_sizes": [p["posts"] for p in many],
        "one_worker_s": round(one_s, 2),
        "workers_s": round(many_s, 2),
        "speedup": round(one_s / many_s, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--partitions", type=int, default=2, help="assess partitions/workers")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-airflow", action="store_true", help="skip the Airflow scan")
    parser.add_argument("--timeout", type=float, default=3600, help="Airflow run, seconds")
    parser.add_argument("--json", action="store_true", help="print only the JSON result")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    say = (lambda *_: None) if args.json else print

    import sqlalchemy as sa

    from benchmarks._fleet import PLATFORMS, register
    from pipeline.config import get_settings
    from pipeline.db import embedded, migrate
    from pipeline.db.engine import reset_engines

    conn, child_conn = multiprocessing.Pipe()
    child = multiprocessing.get_context("spawn").Process(
        target=serve_fleet, args=(child_conn, args.accounts, args.hosts, args.seed), daemon=True
    )
    child.start()
    with (
        tempfile.TemporaryDirectory(prefix="impartial-bench-data-") as data_dir,
        embedded.temporary("impartial-bench-") as url,
    ):
        # Every process of the benchmark (Airflow's included) reads these.
        os.environ.update(
            {
                "IMPARTIAL_DATABASE_URL": url,
                "IMPARTIAL_DATABASE_OWNER_URL": url,
                "IMPARTIAL_DATA_DIR": data_dir,
                "IMPARTIAL_RATE_LIMITS": json.dumps(dict.fromkeys(PLATFORMS, "1000000/1")),
                "IMPARTIAL_HTTP_BACKOFF_S": "0.05",
            }
        )
        get_settings.cache_clear()
        reset_engines()
        engine = sa.create_engine(url)
        migrate.upgrade(engine)
        fleet = conn.recv()
        accounts = sum(len(ids) for ids in register(engine, fleet, actor=ACTOR))
        say(f"{accounts} accounts on {len(fleet)} fake hosts")

        inprocess_s, summary = in_process()
        say(f"in process: {inprocess_s:.1f} s, {summary['new_posts']} posts")
        airflow: dict[str, Any] | None = None
        if not args.no_airflow:
            empty(engine)
            airflow = through_airflow(args.timeout, say)
            say(f"through Airflow: {airflow['wall_s']:.1f} s, run {airflow['state']}")
        with engine.connect() as db:
            posts = db.scalar(sa.text("SELECT count(*) FROM post"))
        partitions = assess_speedup(engine, args.partitions)
        say(f"assess stage: {partitions}")
        engine.dispose()
        reset_engines()
    conn.send("stop")
    child.join(timeout=30)

    tasks = sum(len(states) for states in airflow["tasks"].values()) if airflow else None
    result: dict[str, Any] = {
        "accounts": accounts,
        "hosts": args.hosts,
        "posts": posts,
        "inprocess_s": round(inprocess_s, 2),
        "inprocess_status": summary["status"],
        "assessed": summary["assessed"],
        "flags_created": summary["flags_created"],
        "airflow_s": round(airflow["wall_s"], 2) if airflow else None,
        "airflow_state": airflow["state"] if airflow else None,
        "overhead_ratio": round(airflow["wall_s"] / inprocess_s, 3) if airflow else None,
        "airflow_tasks": tasks,
        "tasks_per_minute": round(tasks / (airflow["wall_s"] / 60), 1) if airflow else None,
        "partitions": args.partitions,
        "cpus": os.cpu_count(),
        "assess_posts": partitions["posts"],
        "assess_partition_sizes": partitions["partition_sizes"],
        "assess_one_worker_s": partitions["one_worker_s"],
        "assess_workers_s": partitions["workers_s"],
        "assess_speedup": partitions["speedup"],
        "assess_same_posts": partitions["posts"] == partitions["posts_in_partitions"],
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
