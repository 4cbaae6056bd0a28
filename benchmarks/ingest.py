"""Ingestion benchmark: a simulated fleet of rate-limited fake hosts on 127.0.0.1.

    python benchmarks/ingest.py --json                 # 2,000 accounts over 20 hosts
    python benchmarks/ingest.py --faults 0.2 --json    # faults in 20% of the responses

The fake hosts run in a child process (so they do not compete with the scan for one
interpreter lock). A first, unlimited pass stores every account's history (setup, not
timed). Then new posts and edits are published for part of the accounts (``--changed``), every
host starts enforcing its request limit (``--limit`` requests per ``--window`` seconds, 429
beyond it) and, with ``--faults``, injecting faults (5xx, hangs past the read timeout, slow
answers, malformed JSON, truncated bodies, 429s) into that share of its responses; then the
timed pass runs with the client configured with the same limit.

The baseline is measured in the same run: ``lower_bound_s`` is the time the per-host limits
alone force on the requests each host served, ``floor((served - 1) / limit) * window`` for
the busiest host, and ``bound_ratio = wall_s / lower_bound_s``.
``requests_per_unchanged_account`` counts the requests about accounts with nothing new that
were answered cleanly (retries of injected faults are counted in ``requests``).
``errors_by_kind`` splits the accounts that could not be read into ``permanent`` and
``transient`` (``pipeline.ingest.failures``).
The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import sys
import time
from pathlib import Path
from typing import Any

# Run as a script, this folder would come first on sys.path and benchmarks/queue.py would
# shadow the standard library's queue module: put the project root there instead.
sys.path.remove(str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa

from benchmarks._fleet import PLATFORMS, Fleet, register
from pipeline.config import Settings
from pipeline.db import embedded, migrate
from pipeline.db.models import Post
from pipeline.fakes import FAULTS
from pipeline.ingest.fetch import ingest_accounts

ACTOR = "benchmark:ingest"


# --- the fleet (child process) -------------------------------------------------------------


class IngestFleet(Fleet):
    """The shared fleet, with request limits and faults switched on for the timed pass."""

    def limit(self, limit: int, window: float, faults: float) -> None:
        for server, _ in self.hosts:
            server.rate_limit = (limit, window)
            server.set_faults(faults, FAULTS)
            server.reset_counters()

    def stats(self) -> list[dict[str, Any]]:
        return [
            {
                "platform": server.platform,
                "served": server.served,
                "http_429": server.http_429,
                "faults": sum(server.faults.values()),
                "last_request_at": server.last_request_at,
                "clean": [server.by_account_clean[a["key"]] for a in accounts],
                "posts": [a["posts"] for a in accounts],
            }
            for server, accounts in self.hosts
        ]


def serve_fleet(conn: Any, args: argparse.Namespace) -> None:
    fleet = IngestFleet(
        args.accounts,
        args.hosts,
        args.seed,
        hang_s=args.read_timeout * 1.2,
        slow_s=0.05,
        storm_wait_s=0.05,
    )
    conn.send(fleet.describe())
    while True:
        command, *params = conn.recv()
        if command == "stop":
            break
        conn.send(getattr(fleet, command)(*params))
    fleet.stop()


# --- the scan (this process) ---------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--faults", type=float, default=0.0, help="share of faulty responses")
    parser.add_argument("--limit", type=int, default=5, help="requests per window per host")
    parser.add_argument("--window", type=float, default=1.5, help="window length, seconds")
    parser.add_argument("--changed", type=float, default=0.5, help="share with new posts")
    parser.add_argument("--read-timeout", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print only the JSON result")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    say = (lambda *_: None) if args.json else print

    conn, child_conn = multiprocessing.Pipe()
    child = multiprocessing.Process(target=serve_fleet, args=(child_conn, args), daemon=True)
    child.start()

    def call(*command: Any) -> Any:
        conn.send(command)
        return conn.recv()

    with embedded.temporary("impartial-bench-") as url:
        engine = sa.create_engine(url, pool_size=args.hosts + 2, max_overflow=4)
        migrate.upgrade(engine)
        started = time.perf_counter()
        fleet = conn.recv()
        host_ids = register(engine, fleet, actor=ACTOR)
        ids = [i for group in host_ids for i in group]
        settings = Settings(
            database_url=url,
            ingest_workers=args.hosts,
            http_backoff_s=0.05,
            http_timeout_connect_s=1.0,
            http_timeout_read_s=args.read_timeout,
            rate_limits=dict.fromkeys(PLATFORMS, "1000000/1"),
        )
        initial = ingest_accounts(ids, settings=settings, engine=engine)
        setup_s = time.perf_counter() - started
        say(f"setup: {len(ids)} accounts, first pass {initial.as_dict()} in {setup_s:.1f}s")

        changes = call("publish", args.changed)
        call("limit", args.limit, args.window, args.faults)
        timed = settings.model_copy(
            update={"rate_limits": dict.fromkeys(PLATFORMS, f"{args.limit}/{args.window}")}
        )
        t0, epoch0 = time.perf_counter(), time.time()
        summary = ingest_accounts(ids, settings=timed, engine=engine)
        wall = time.perf_counter() - t0
        say(f"timed pass: {summary.as_dict()}")
        stats = call("stats")
        conn.send(("stop",))
        for host, s in zip(fleet, stats, strict=True):
            say(
                f"  {host['platform']:9} {host['base_url']} served {s['served']:4} 429s "
                f"{s['http_429']:3} faults {s['faults']:3} last request at "
                f"{(s['last_request_at'] or epoch0) - epoch0:6.2f}s"
            )

        lower = max((s["served"] - 1) // args.limit for s in stats) * args.window
        changed = {tuple(x) for x in changes["changed"]}
        unchanged_clean = [
            s["clean"][a]
            for h, s in enumerate(stats)
            for a in range(len(s["clean"]))
            if (h, a) not in changed
        ]
        expected = {
            (host_ids[h][a], p)
            for h, s in enumerate(stats)
            for a, posts in enumerate(s["posts"])
            for p in posts
        }
        with engine.connect() as db:
            rows = db.execute(sa.select(Post.account_id, Post.external_id)).all()
        stored = {tuple(r) for r in rows}
        engine.dispose()
    child.join(timeout=10)
    result: dict[str, Any] = {
        "accounts": len(ids),
        "hosts": args.hosts,
        "faults": args.faults,
        "limit": f"{args.limit}/{args.window}s",
        "wall_s": round(wall, 2),
        "lower_bound_s": round(lower, 2),
        "bound_ratio": round(wall / lower, 3) if lower else None,
        "requests": summary.requests,
        "requests_per_unchanged_account": round(
            sum(unchanged_clean) / max(1, len(unchanged_clean)), 3
        ),
        "unchanged_accounts": len(unchanged_clean),
        "http_429": sum(s["http_429"] for s in stats),
        "faults_injected": sum(s["faults"] for s in stats),
        "posts_expected": len(expected),
        "posts_stored": len(rows),
        "posts_missing": len(expected - stored),
        "posts_unexpected": len(stored - expected),
        "duplicates": len(rows) - len(stored),
        "edits_expected": changes["edits"],
        "edits": summary.edits,
        "errors": sum(summary.errors.values()),
        "errors_by_kind": dict(sorted(summary.errors_by_kind.items())),
        "setup_s": round(setup_s, 1),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
