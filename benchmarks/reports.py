"""Report latency on a generated review history: 100k flags, then 1M flags.

The history grows the way a real one does: about 1,000 flags a day, so 100k flags are the
last 100 days and 1M flags the last 1,000 (2.7 years). Each report runs over its default
period (the last ``report_window_days``, 90) ending at the same instant, first on the 100k
history, then after 900k older flags are added. ``growth_ratio`` = ms_1m / ms_100k shows
whether a report's cost follows its period (target <= 3) or the table size. The full history
at 1M is timed too (``ms_1m_all_history``), for information: it has no target.

Usage: python benchmarks/reports.py [--json] [--repeat 5]
Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

# Run as a script, this folder would come first on sys.path and benchmarks/queue.py would
# shadow the standard library's queue module: put the project root there instead.
sys.path.remove(str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa
from rich.console import Console

from pipeline.config import Settings
from pipeline.db import embedded, migrate
from pipeline.reports import runner

END = datetime(2026, 11, 1, tzinfo=UTC)
PER_DAY = 1000
err = Console(stderr=True)

SETUP = """
INSERT INTO person (email, display_name, org_unit, seniority_band, pseudonym)
SELECT 'p' || g || '@example.org', 'Person ' || g, 'Unit ' || (g % 20),
       (ARRAY['staff', 'supervisor', 'manager', 'executive'])[1 + g % 4], 'P-' || g
FROM generate_series(1, 2000) g;
INSERT INTO account (platform, host, handle, kind, owner_id, org_unit)
SELECT 'mastodon', 'https://social.example', 'u' || id || '@social.example', 'personal', id,
       org_unit FROM person;
INSERT INTO account (platform, host, handle, kind, org_unit)
SELECT 'mastodon', 'https://gc.example', 'dept' || g || '@gc.example', 'official',
       'Unit ' || (g % 20) FROM generate_series(1, 40) g;
INSERT INTO app_user (email, password_hash, role)
SELECT 'reviewer' || g || '@example.org', 'x', CASE WHEN g <= 5 THEN 'lead' ELSE 'reviewer' END
FROM generate_series(1, 30) g;
INSERT INTO classifier (version, policy_version, model_id, status, metrics) VALUES
  ('v1', 'p1', 'm', 'retired', '{"precision": 0.7}'),
  ('v2', 'p1', 'm', 'live', '{"precision": 0.8}'),
  ('v3', 'p2', 'm', 'shadow', '{"precision": 0.82}');
"""

# One post, one assessment and one flag per step of the series, spread evenly over the days.
HISTORY = """
CREATE TEMP TABLE gen AS
SELECT g,
       CAST(:start AS timestamptz) + (g - :first) * CAST(:step AS interval)
         + (random() * interval '1 hour') AS at,
       1 + (g % 2040) AS account_id
FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) g;
INSERT INTO post (id, account_id, external_id, text, lang_detected, content_hash,
                  published_at, fetched_at)
SELECT g, account_id, 'x' || g, NULL,
       CASE WHEN account_id > 2000 THEN (ARRAY['en', 'fr', 'en'])[1 + g % 3] END,
       md5(g::text), at, at
FROM gen;
INSERT INTO assessment (id, post_id, classifier_id, content_hash, policy_version, scores,
                        risk, created_at)
SELECT g, g, CASE WHEN at < :end - interval '200 days' THEN 1 ELSE 2 END, md5(g::text),
       'p1', '{}'::jsonb, random(), at FROM gen;
INSERT INTO flag (id, post_id, assessment_id, category, content_hash, score, risk, is_sample,
                  sample_draw, group_key, created_at, closed_at)
SELECT g, g, g,
       CASE WHEN g % 100 = 0 THEN 'none'
            WHEN account_id > 2000 THEN 'official_languages'
            ELSE (ARRAY['partisan', 'government_policy', 'vulgar', 'self_serving'])[1 + g % 4]
       END,
       md5(g::text), random(), random(), g % 100 = 0,
       CASE WHEN g % 100 = 0 THEN 'random' END,
       CASE WHEN g % 5 < 2 THEN 'grp' || (g / 2) END,
       at,
       CASE WHEN at > :end - interval '14 days' AND g % 2 = 0 THEN NULL
            WHEN g % 500 = 1 THEN NULL
            ELSE at + random() * interval '150 hours' END
FROM gen;
INSERT INTO review (flag_id, reviewer_id, stage, decision, clause, rationale, created_at)
SELECT f.id, 1 + f.id % 30, 'review',
       (ARRAY['no_concern', 'no_concern', 'no_concern', 'advise', 'escalate'])[1 + f.id % 5],
       f.category, 'r', f.closed_at
FROM flag f WHERE f.id BETWEEN :first AND :last AND f.closed_at IS NOT NULL;
INSERT INTO review (flag_id, reviewer_id, stage, decision, clause, rationale, created_at)
SELECT f.id, 1 + (f.id + 7) % 30, 'review',
       (ARRAY['no_concern', 'advise', 'no_concern'])[1 + f.id % 3], f.category, 'r',
       f.closed_at + interval '1 hour'
FROM flag f WHERE f.id BETWEEN :first AND :last AND f.closed_at IS NOT NULL
  AND f.group_key IS NOT NULL AND f.id % 2 = 1;
INSERT INTO scan_run (trigger, status, started_at, finished_at, accounts, requests, new_posts,
                      errors)
SELECT 'dag', 'success', s, s + interval '5 minutes', 2040, 2100, 40, '{"h": 1}'::jsonb
FROM generate_series(CAST(:start AS timestamptz), :end - interval '1 hour',
                     interval '1 hour') s;
DROP TABLE gen;
"""


def grow(engine: sa.Engine, first: int, last: int, start: datetime) -> None:
    """Add flags ``first..last`` (one per post) spread from ``start`` on, 1,000 a day."""
    params = {
        "first": first,
        "last": last,
        "start": start,
        "end": END,
        "step": f"{86400 / PER_DAY} seconds",
    }
    with engine.begin() as conn:
        for statement in HISTORY.split(";"):
            if statement.strip():
                conn.execute(sa.text(statement), params)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))


def time_reports(
    engine: sa.Engine, settings: Settings, repeat: int, date_from: datetime | None = None
) -> dict[str, float]:
    timings = {}
    for info in runner.list_reports():
        kwargs = {"date_from": date_from, "date_to": END, "engine": engine, "settings": settings}
        runner.run_report(info.name, **kwargs)  # warm the cache
        samples = []
        for _ in range(repeat):
            started = time.perf_counter()
            runner.run_report(info.name, **kwargs)
            samples.append((time.perf_counter() - started) * 1000)
        timings[info.name] = round(statistics.median(samples), 1)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="Print only the JSON summary.")
    parser.add_argument("--repeat", type=int, default=5, help="Timed runs per report.")
    args = parser.parse_args()
    settings = Settings()
    with embedded.temporary("impartial-bench-") as url:
        engine = sa.create_engine(url)
        migrate.upgrade(engine)
        with engine.begin() as conn:
            conn.execute(sa.text(SETUP))
        small, large = 100_000, 1_000_000
        started = time.perf_counter()
        grow(engine, 1, small, END - timedelta(days=small / PER_DAY))
        err.print(f"100k flags generated in {time.perf_counter() - started:.0f} s")
        ms_100k = time_reports(engine, settings, args.repeat)
        started = time.perf_counter()
        grow(engine, small + 1, large, END - timedelta(days=large / PER_DAY))
        err.print(f"1M flags generated in {time.perf_counter() - started:.0f} s")
        ms_1m = time_reports(engine, settings, args.repeat)
        full = time_reports(engine, settings, 1, date_from=END - timedelta(days=1100))
        with engine.connect() as conn:
            counts = dict(
                conn.execute(
                    sa.text(
                        "SELECT (SELECT count(*) FROM flag) AS flags,"
                        " (SELECT count(*) FROM review) AS reviews"
                    )
                )
                .one()
                ._mapping
            )
        engine.dispose()
    per_report = {
        name: {
            "ms_100k": ms_100k[name],
            "ms_1m": ms_1m[name],
            "growth_ratio": round(ms_1m[name] / max(ms_100k[name], 0.1), 2),
            "ms_1m_all_history": full[name],
        }
        for name in ms_100k
    }
    summary = {
        "reports": per_report,
        "max_ms_1m": max(ms_1m.values()),
        "max_growth_ratio": max(r["growth_ratio"] for r in per_report.values()),
        "window_days": settings.report_window_days,
        "flags": counts,
    }
    if not args.json:
        for name, r in per_report.items():
            err.print(
                f"{name:24} {r['ms_100k']:8.1f} ms  {r['ms_1m']:8.1f} ms  "
                f"x{r['growth_ratio']:<5} all history {r['ms_1m_all_history']:.0f} ms"
            )
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
