"""The nightly scan's assess stage, cut into partitions that workers assess side by side.

plan -> assess_partition (once per partition, in any order, at once) -> combine. A partition
is a run of post ids ``(after_id, upto_id]`` fixed at plan time; together the partitions cover
every id (the first starts at 0, the last has no upper bound), so a post that is pending when
a partition runs belongs to exactly one. Within a partition every batch is claimed with
``FOR NO KEY UPDATE SKIP LOCKED`` (``pipeline.classify.pending``): two workers running the same
partition, or a partition and ``impartial scan``, never assess the same post, and a partition
that is re-run assesses only what is still pending. The results are those of one task: the
same posts, scores and flags. The plan and every partition hold the run's scan lease
(``pipeline.jobs.scan_lease``), as the scan's other tasks do.

How many partitions: ``Settings.assess_partitions`` (a number, or "auto": one per CPU), never
more than the backlog over ``Settings.assess_partition_min_posts``, and at least one. Each
partition loads the model in its own worker process.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from pipeline.classify.assess import Progress, assess_pending
from pipeline.classify.core.vectors import Embedder
from pipeline.classify.pending import pending_id_ranges, running_classifier_ids
from pipeline.classify.store import ensure_live_classifier
from pipeline.config import get_settings
from pipeline.db.engine import unit_of_work
from pipeline.jobs import scan_lease
from pipeline.vocabulary import ScanStatus

SUMMED = (
    "assessed",
    "flags_created",
    "model_calls",
    "posts",
    "screen_kept",
    "screen_audited",
    "screen_disagreed",
)


def partition_count(backlog: int, wanted: int | str, min_posts: int) -> int:
    """Partitions for ``backlog`` pending posts: ``wanted`` ("auto": the CPUs), at most one
    per ``min_posts`` posts, at least one."""
    cap = (os.cpu_count() or 1) if wanted == "auto" else int(wanted)
    return max(1, min(cap, backlog // max(1, min_posts)))


def plan(
    run_key: str, *, partitions: int | str | None = None, min_posts: int | None = None
) -> list[dict]:
    """The partitions of the pending posts (JSON-able); installs the live classifier if none is.

    Holds the run's scan lease and records that fetching ended. ``partitions`` and
    ``min_posts`` default to the settings."""
    settings = get_settings()
    wanted = settings.assess_partitions if partitions is None else partitions
    min_posts = settings.assess_partition_min_posts if min_posts is None else min_posts
    with scan_lease.held(run_key, scan_lease.AIRFLOW), unit_of_work() as uow:
        scan_lease.mark(uow.session, run_key, ScanStatus.INGESTED)
        ensure_live_classifier(uow.session)
        uow.commit()
        ids = running_classifier_ids(uow.session)
        backlog = pending_id_ranges(uow.session, ids, 1)
        count = partition_count(backlog[0][2] if backlog else 0, wanted, min_posts)
        ranges = pending_id_ranges(uow.session, ids, count) if count > 1 else backlog
    ranges = ranges or [(0, 0, 0)]
    after = [0, *(last_id for _, last_id, _ in ranges[:-1])]
    return [
        {
            "run_key": run_key,
            "index": index,
            "partitions": len(ranges),
            "after_id": after[index],
            "upto_id": last_id if index < len(ranges) - 1 else None,
            "posts": posts,
        }
        for index, (_, last_id, posts) in enumerate(ranges)
    ]


def assess_partition(
    partition: dict,
    *,
    progress: Progress | None = None,
    embedder: Embedder | None = None,
    batch_size: int | None = None,
) -> dict:
    """Assess the pending posts of one partition that no other worker holds (re-runnable),
    holding the run's scan lease."""
    with scan_lease.held(partition["run_key"], scan_lease.AIRFLOW):
        summary = assess_pending(
            embedder=embedder,
            batch_size=batch_size,
            progress=progress,
            id_range=(int(partition["after_id"]), partition["upto_id"]),
        )
    return {
        "run_key": partition["run_key"],
        "partition": partition["index"],
        "partitions": partition["partitions"],
        **summary.as_dict(),
    }


def combine(results: Iterable[Any], *, complete: bool = True) -> dict | None:
    """One assess result from the partitions' results (Airflow's mapped XComs).

    ``None`` when a partition has no result (it failed) and ``complete`` is asked for."""
    parts = [r for r in results if isinstance(r, dict)]
    expected = max((int(r.get("partitions", 1)) for r in parts), default=1)
    if not parts or (complete and len({r.get("partition") for r in parts}) < expected):
        return None
    out: dict[str, Any] = {"run_key": parts[0]["run_key"], "partitions": len(parts)}
    for key in SUMMED:
        out[key] = sum(int(r.get(key, 0)) for r in parts)
    by_classifier: dict[str, int] = {}
    for r in parts:
        for version, n in (r.get("by_classifier") or {}).items():
            by_classifier[version] = by_classifier.get(version, 0) + int(n)
    out["by_classifier"] = by_classifier
    out["fast_path"] = parts[0].get("fast_path", "off")
    return out
