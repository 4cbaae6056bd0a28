"""A DAG run that fails: which errors a retry cannot fix, and what a failed run leaves behind.

Airflow retries a failed task (``retries`` in each DAG's default arguments): a database that
restarts, a worker that dies or another scan holding the scan lease may be gone by the next
try. An error that the same input raises again fails the task at once instead: bad input or
settings (``InputError``, a settings ``ValidationError``), a template that does not render, and
a host that is down (``ShardFailedError``, raised after the connector's own retries and its
second pass over the host's accounts). Each DAG's retry policy asks :func:`retry_cannot_fix`.

When a run fails, each DAG's ``on_failure_callback`` calls :func:`run_failed`: a run of the
nightly scan leaves its ``scan_run`` row (written ``failed`` with the error when no task got to
write it, or when the run died with its row still in progress), and every failed run is sent to
the operators (:mod:`pipeline.jobs.alerts`). The callback's context is read by duck typing, so
this module imports no Airflow.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import jinja2
import pydantic
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, insert

from pipeline.clock import now
from pipeline.db.engine import unit_of_work
from pipeline.db.models import ScanRun
from pipeline.errors import InputError
from pipeline.jobs import alerts
from pipeline.vocabulary import ACTIVE_SCAN_STATUSES, ScanStatus

log = logging.getLogger(__name__)

SCAN_DAG = "nightly_scan"
CANNOT_FIX: dict[type[BaseException] | str, str] = {
    InputError: "bad input or settings",
    pydantic.ValidationError: "invalid settings",
    jinja2.TemplateError: "a template that does not render",
    # by name: importing the scan's module costs seconds, and most callers never need it
    "pipeline.jobs.nightly_scan.ShardFailedError": "the host is down (already retried)",
}


def retry_cannot_fix(exc: BaseException) -> str | None:
    """Why retrying would raise ``exc`` again, or None when a retry may help."""
    names = {f"{kind.__module__}.{kind.__qualname__}" for kind in type(exc).__mro__}
    for kind, why in CANNOT_FIX.items():
        if kind in names if isinstance(kind, str) else isinstance(exc, kind):
            return f"{type(exc).__name__}: {why}; not retried"
    return None


def run_key(dag_id: str, data_interval_end: datetime | None, run_after: datetime) -> str:
    """The key of a DAG run's ``scan_run`` row: the DAG's ``RUN_KEY`` template, in Python."""
    return f"{dag_id}/{(data_interval_end or run_after).isoformat()}"


def record_failed_run(run_key: str, error: str, *, trigger: str = "airflow") -> None:
    """Leave the run's ``scan_run`` row ``failed`` with ``error`` (under ``errors["run"]``).

    A missing row is written; a row still in progress (the run died or timed out, or no task
    could write its end) becomes ``failed``; a row whose run ended (``success``, ``partial``,
    ``failed``, ``interrupted``) keeps its status and gets the error. Idempotent."""
    at = now()
    statement = insert(ScanRun).values(
        run_key=run_key,
        trigger=trigger,
        status=str(ScanStatus.FAILED),
        started_at=at,
        finished_at=at,
        errors={"run": error},
    )
    active = ScanRun.status.in_(ACTIVE_SCAN_STATUSES)
    statement = statement.on_conflict_do_update(
        index_elements=[ScanRun.run_key],
        set_={
            "status": sa.case((active, str(ScanStatus.FAILED)), else_=ScanRun.status),
            "finished_at": sa.case((active, at), else_=ScanRun.finished_at),
            "heartbeat_at": sa.case((active, None), else_=ScanRun.heartbeat_at),
            "errors": ScanRun.errors.op("||")(sa.cast({"run": error}, JSONB)),
        },
    )
    with unit_of_work() as uow:
        uow.session.execute(statement)
        uow.commit()


def describe(context: Mapping[str, Any]) -> dict[str, Any]:
    """What a failure callback's context says about the run (JSON-able)."""
    dag = context.get("dag")
    dag_run = context.get("dag_run")
    ti = context.get("ti")
    exception = context.get("exception")
    facts: dict[str, Any] = {
        "dag_id": getattr(dag, "dag_id", None) or getattr(dag_run, "dag_id", None),
        "run_id": context.get("run_id") or getattr(dag_run, "run_id", None),
        "reason": str(context.get("reason") or "failed"),
        "task_id": getattr(ti, "task_id", None),
        "map_index": getattr(ti, "map_index", None),
        "try_number": getattr(ti, "try_number", None),
        "error": f"{type(exception).__name__}: {exception}" if exception else None,
    }
    run_after = getattr(dag_run, "run_after", None)
    facts["run_key"] = (
        run_key(facts["dag_id"], context.get("data_interval_end"), run_after)
        if facts["dag_id"] and run_after
        else None
    )
    return facts


def summary_line(facts: Mapping[str, Any]) -> str:
    """One line that says which run failed and where."""
    where = ""
    if facts.get("task_id"):
        index = facts.get("map_index")
        mapped = f"[{index}]" if index is not None and index >= 0 else ""
        where = f", last failed task {facts['task_id']}{mapped} (try {facts.get('try_number')})"
    error = f": {facts['error']}" if facts.get("error") else ""
    return f"{facts['dag_id']} run {facts['run_id']} failed ({facts['reason']}){where}{error}"


def run_failed(context: Mapping[str, Any]) -> dict[str, Any]:
    """The DAGs' ``on_failure_callback``: record a failed scan, then alert the operators."""
    facts = describe(context)
    line = summary_line(facts)
    log.error("%s", line)
    if facts["dag_id"] == SCAN_DAG and facts["run_key"]:
        record_failed_run(facts["run_key"], line)
    alerts.notify(f"Impartial: {facts['dag_id']} failed", line, facts)
    return facts
