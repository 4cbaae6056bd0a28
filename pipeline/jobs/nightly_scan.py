"""The nightly scan, one function per step: what the DAG's tasks and ``impartial scan`` call.

plan -> ingest_shard (once per shard) -> assess -> enqueue -> summarize. Every step takes and
returns JSON-able ids and counts only, so Airflow can pass them through XCom. Every step is
idempotent: ingestion upserts by natural keys, assessment skips what is already assessed, and
the ``scan_run`` row is keyed by ``run_key`` (one per data interval), so re-running an interval
rewrites its row instead of adding one.

``run_all`` runs the same steps in one process for ``impartial scan``, so a scan from the shell
and a scan from Airflow write their ``scan_run`` row by the same rule (``summarize``). The DAG
files import this module inside their tasks, so parsing them stays cheap.

One scan at a time: every step holds the scan lease (``pipeline.jobs.scan_lease``) for its run
key, and ``run_all`` holds it for the whole run; a step of another scan raises
``ScanRunningError`` (the task is retried later). The row's status says which stage ended last
(running, ingested, assessed, queued), so a run that dies is never recorded ``success``; the
next scan finds it and marks it ``interrupted``, and regroups the flags it left ungrouped.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from pipeline.clock import instant, now
from pipeline.config import get_settings
from pipeline.db.engine import unit_of_work
from pipeline.db.models import ScanRun, SourceCursor
from pipeline.ingest.fetch import ingest_accounts, plan_shards
from pipeline.jobs import scan_lease
from pipeline.jobs.scan_lease import ScanRunningError
from pipeline.review.intake import enqueue as enqueue_flags
from pipeline.review.intake import group_new_flags
from pipeline.vocabulary import ErrorKind, ScanStatus

if TYPE_CHECKING:
    from pipeline.classify.assess import Progress
# The classifier's modules (scikit-learn, the model) are imported by the steps that use them:
# the plan, ingest, queue and summarize tasks start in a fraction of the time.

COUNTS = ("accounts", "requests", "new_posts", "edits")


class ShardFailedError(RuntimeError):
    """Every account of a shard failed: the shard's task fails, the other shards go on."""


# The work a run did. A data interval run again by Airflow (cleared, or retried) adds its
# counts to the row's, so the interval keeps what its first run stored; the other columns
# (status, errors, failures) say how the latest run went.
ADDED = (*COUNTS, "assessed", "flags_created")


def _upsert_run(session: Any, run_key: str, trigger: str, **values: Any) -> None:
    statement = insert(ScanRun).values(run_key=run_key, trigger=trigger, **values)
    update = dict(values)
    if trigger == "airflow":  # other run keys are one run each
        for key in ADDED:
            if key in values:
                update[key] = getattr(ScanRun, key) + getattr(statement.excluded, key)
    session.execute(statement.on_conflict_do_update(index_elements=[ScanRun.run_key], set_=update))


def plan(
    run_key: str,
    at: datetime | str | None = None,
    *,
    platform: str | None = None,
    trigger: str = "airflow",
) -> list[dict]:
    """The eligible accounts at ``at`` (of one platform, or all), one shard per host.

    Also opens the run's ``scan_run`` row by taking the scan lease (several plan calls of one
    run share it), and groups the flags that a run which died left ungrouped.
    """
    with scan_lease.held(run_key, trigger):
        return _plan(at, platform)


def _plan(at: datetime | str | None, platform: str | None) -> list[dict]:
    with unit_of_work() as uow:
        shards = plan_shards(uow.session, at=instant(at))
        if platform is not None:
            shards = [s for s in shards if s["platform"] == platform]
        group_new_flags(uow.session, get_settings())
        uow.commit()
    return shards


def ingest_shard(
    shard: dict, run_key: str, *, progress: Callable[[int], None] | None = None
) -> dict:
    """Fetch the new posts of one shard's accounts; raise when the whole shard failed.

    ``progress`` is called with 1 after each account."""
    with scan_lease.held(run_key, "airflow"):
        return _ingest_shard(shard, run_key, progress=progress)


def _ingest_shard(
    shard: dict,
    run_key: str,
    *,
    progress: Callable[[int], None] | None = None,
    stop: threading.Event | None = None,
) -> dict:
    summary = ingest_accounts(list(shard["account_ids"]), progress=progress, stop=stop).as_dict()
    if shard_failed(summary, len(shard["account_ids"])):
        raise ShardFailedError(
            f"shard {shard['platform']} {shard['host']}: all {len(shard['account_ids'])} "
            f"accounts failed ({summary['errors']}); the other shards are unaffected"
        )
    return {"run_key": run_key, "platform": shard["platform"], "host": shard["host"], **summary}


def shard_failed(summary: dict, accounts: int) -> bool:
    """At least one error per account and nothing fetched: the host is down for this shard."""
    errors = sum((summary.get("errors") or {}).values())
    fetched = summary.get("new_posts", 0) + summary.get("edits", 0)
    return accounts > 0 and errors >= accounts and fetched == 0


def assess(run_key: str, *, progress: Progress | None = None) -> dict:
    """Embed and score every post not yet assessed by the live (and shadow) classifier."""
    with scan_lease.held(run_key, "airflow"):
        _mark(run_key, ScanStatus.INGESTED)
        return _assess(run_key, progress=progress)


def _assess(run_key: str, *, progress: Progress | None = None) -> dict:
    from pipeline.classify.assess import assess_pending
    from pipeline.classify.store import ensure_live_classifier

    with unit_of_work() as uow:
        ensure_live_classifier(uow.session)
        uow.commit()
    assessed = {"run_key": run_key, **assess_pending(progress=progress).as_dict()}
    _mark(run_key, ScanStatus.ASSESSED)
    return assessed


def enqueue(run_key: str) -> dict:
    """Group the new flags for review and check official-language parity."""
    with scan_lease.held(run_key, "airflow"):
        _mark(run_key, ScanStatus.ASSESSED)  # the DAG queues once every partition is assessed
        return _enqueue(run_key)


def _enqueue(run_key: str) -> dict:
    from pipeline.classify.official_languages import check_official_languages

    with unit_of_work() as uow:
        queued = dict(enqueue_flags(uow.session))
        queued["official_languages_flags"] = check_official_languages(uow.session)
        scan_lease.mark(uow.session, run_key, ScanStatus.QUEUED)
        uow.commit()
    return {"run_key": run_key, **queued}


def _mark(run_key: str, status: ScanStatus, **values: Any) -> None:
    """Record that a stage ended (``scan_lease.mark``) in a transaction of its own."""
    with unit_of_work() as uow:
        scan_lease.mark(uow.session, run_key, status, **values)
        uow.commit()


def _flatten(items: Iterable[Any]) -> Iterable[dict]:
    """Shard results, from a flat list or from one list per platform (Airflow's mapped XComs)."""
    for item in items:
        if isinstance(item, dict):
            yield item
        elif item is not None:
            yield from _flatten(item)


def _add(into: dict[str, int], more: dict[str, int] | None) -> None:
    for key, value in (more or {}).items():
        into[key] = into.get(key, 0) + int(value)


def summarize(
    run_key: str,
    planned: Iterable[Any],
    ingested: Iterable[Any],
    assessed: dict | None = None,
    queued: dict | None = None,
    *,
    trigger: str = "airflow",
    interrupted: bool = False,
) -> dict:
    """Write the run's ``scan_run`` row from the steps' results and return its counts.

    A shard without a result failed; the row's status is ``success`` when every step finished,
    ``partial`` when some shards (or the assessment) failed, ``failed`` when nothing was fetched,
    ``interrupted`` when the run was stopped (Ctrl-C) before it finished. A plan without a
    result (``None``: its task failed) counts as failed shards. Counts add up over the runs of
    one Airflow data interval (``_upsert_run``).
    The row lists the accounts that could not be read (``failures``): from the shards' results,
    and for a shard without one, what its accounts recorded in this run.
    """
    planned = list(planned)
    unplanned = sum(item is None for item in planned)  # a plan task without a result failed
    shards = list(_flatten(planned))
    results = list(_flatten(ingested))
    done = {(r["platform"], r["host"]) for r in results}
    missing = [s for s in shards if (s["platform"], s["host"]) not in done]
    counts = {key: sum(int(r.get(key, 0)) for r in results) for key in COUNTS}
    skipped: dict[str, int] = {}
    errors: dict[str, int] = {}
    by_kind: dict[str, int] = {}
    failures: list[dict] = []
    for r in results:
        _add(skipped, r.get("skipped"))
        _add(errors, r.get("errors"))
        _add(by_kind, r.get("errors_by_kind"))
        failures.extend(r.get("failures") or [])
    for shard in missing:  # keyed like ingestion's errors: the host without its scheme
        host = shard["host"].split("://", 1)[-1]
        errors[host] = errors.get(host, 0) + len(shard["account_ids"])
    if interrupted:
        status = "interrupted"
    elif (shards and len(missing) == len(shards)) or (planned and unplanned == len(planned)):
        status = "failed"
    elif missing or unplanned or assessed is None or queued is None:
        status = "partial"
    else:
        status = "success"
    row = {
        **counts,
        "assessed": int((assessed or {}).get("assessed", 0)),
        "flags_created": int((assessed or {}).get("flags_created", 0)),
        "skipped": skipped,
        "errors": errors,
        "status": status,
        "finished_at": now(),
    }
    with unit_of_work() as uow:
        unfinished = _unfinished_shards(uow.session, run_key, missing)
        _add(by_kind, Counter(f["kind"] for f in unfinished))
        row["failures"] = sorted([*failures, *unfinished], key=lambda f: f["account_id"])
        _upsert_run(uow.session, run_key, trigger, **row)
        uow.commit()
    return {
        "run_key": run_key,
        **{k: v for k, v in row.items() if k != "finished_at"},
        "errors_by_kind": dict(sorted(by_kind.items())),
        "http_429": sum(int(r.get("http_429", 0)) for r in results),
        "model_calls": int((assessed or {}).get("model_calls", 0)),
        "shards": len(shards),
        "failed_shards": [f"{s['platform']} {s['host']}" for s in missing],
        "queued": dict(queued or {}),
    }


def _unfinished_shards(session: Any, run_key: str, shards: list[dict]) -> list[dict]:
    """The failures of the accounts of shards that returned no result (a failed task): what
    each account recorded in this run (``source_cursor.last_error``), else that its shard did
    not finish."""
    ids = [account_id for shard in shards for account_id in shard["account_ids"]]
    if not ids:
        return []
    started = session.scalar(select(ScanRun.started_at).where(ScanRun.run_key == run_key))
    recorded = dict(
        session.execute(
            select(SourceCursor.account_id, SourceCursor.last_error).where(
                SourceCursor.account_id.in_(ids)
            )
        ).all()
    )
    out = []
    for shard in shards:
        for account_id in shard["account_ids"]:
            error = recorded.get(account_id)
            if not (error and started and datetime.fromisoformat(error["at"]) >= started):
                error = {"kind": str(ErrorKind.TRANSIENT), "http_status": None}
                error["reason"] = "not fetched: its shard did not finish in this run"
            out.append(
                {
                    "account_id": account_id,
                    "platform": shard["platform"],
                    "host": shard["host"],
                    **{key: error.get(key) for key in ("kind", "http_status", "reason")},
                }
            )
    return out


def run_all(
    *,
    at: datetime | None = None,
    trigger: str = "cli",
    workers: int = 8,
    ingest_only: bool = False,
    wait: bool = False,
    log: Callable[[str], None] | None = None,
    fetched: Callable[[int, int], None] | None = None,
    assessed_progress: Progress | None = None,
) -> dict:
    """The whole scan in this process (``impartial scan``): the DAG's steps, shards in parallel.

    A shard that fails is logged and left out, as in Airflow. ``ingest_only`` stops after
    fetching (nothing assessed, nothing queued: the run's status says only how fetching went).
    Another scan running raises ``ScanRunningError``, or with ``wait`` is waited for. Ctrl-C
    stops fetching at once (what was stored stays) and ends the run ``interrupted``, with its
    summary. ``log`` hears about each step; ``fetched(done, total)`` follows the accounts
    fetched and ``assessed_progress(done, total)`` the posts assessed.
    """
    say = log or (lambda message: None)
    run_key = f"{trigger}/{(at or now()).isoformat()}"

    def waiting(exc: ScanRunningError) -> None:
        say(f"waiting: {exc}")

    with scan_lease.held(run_key, trigger, wait=wait, waiting=waiting):
        return _run(run_key, at, trigger, workers, ingest_only, say, fetched, assessed_progress)


def _run(
    run_key: str,
    at: datetime | None,
    trigger: str,
    workers: int,
    ingest_only: bool,
    say: Callable[[str], None],
    fetched: Callable[[int, int], None] | None,
    assessed_progress: Progress | None,
) -> dict:
    shards = _plan(at, None)
    total = sum(len(s["account_ids"]) for s in shards)
    done = [0]
    lock = threading.Lock()  # shards report from their own threads

    def one_more(n: int) -> None:
        with lock:
            done[0] += n
            if fetched:
                fetched(done[0], total)

    say(f"{len(shards)} shard(s) to fetch, {total} account(s)")
    results, interrupted = _fetch_all(shards, run_key, workers, one_more, say)
    _mark(
        run_key,
        ScanStatus.INGESTED,
        **{key: sum(int(r.get(key, 0)) for r in results) for key in COUNTS},
    )
    if ingest_only or interrupted:
        nothing = {"assessed": 0, "flags_created": 0}
        return summarize(
            run_key, shards, results, nothing, {}, trigger=trigger, interrupted=interrupted
        )
    assessed: dict | None = None
    queued: dict | None = None
    try:
        say("assessing new and edited posts")
        assessed = _assess(run_key, progress=assessed_progress)
        say("queueing flags")
        queued = _enqueue(run_key)
    except KeyboardInterrupt:
        say("stopped: what was assessed is kept; the rest waits for the next scan")
        interrupted = True
    finally:
        summary = summarize(
            run_key, shards, results, assessed, queued, trigger=trigger, interrupted=interrupted
        )
    return summary


def _fetch_all(
    shards: list[dict],
    run_key: str,
    workers: int,
    progress: Callable[[int], None],
    say: Callable[[str], None],
) -> tuple[list[dict], bool]:
    """Every shard's result (a failed shard has none), and whether Ctrl-C stopped fetching:
    then every shard stops after the batch in hand and reports what it stored."""
    stop = threading.Event()
    results: list[dict] = []
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(shards) or 1))) as pool:
        futures = {
            pool.submit(_ingest_shard, shard, run_key, progress=progress, stop=stop): shard
            for shard in shards
        }
        pending = set(futures)
        try:
            for future in as_completed(futures):
                pending.discard(future)
                _collect(future, futures[future], results, say)
        except KeyboardInterrupt:
            stop.set()
            say("stopping: what was fetched is kept; the rest waits for the next scan")
            for future in as_completed(pending):
                _collect(future, futures[future], results, say)
    return results, stop.is_set()


def _collect(future: Any, shard: dict, results: list[dict], say: Callable[[str], None]) -> None:
    try:
        results.append(future.result())
    except Exception as exc:  # one shard's failure never stops the scan
        say(f"shard {shard['platform']} {shard['host']} failed: {exc}")
