"""One scan at a time: the scan lease, held by the run's own ``scan_run`` row.

A scan (``impartial scan``, or each task of a nightly DAG run) takes the lease before it does
anything: its row gets an active status (``running``, then ``ingested``, ``assessed`` and
``queued`` as each stage ends) while no other row has one. Taking it is one transaction under a
transaction-level advisory lock, so two scans starting together cannot both take it; a scan
that finds another one alive raises :class:`ScanRunningError` (or, asked to wait, polls).

Why a lease row rather than one lock held for the whole run: a DAG run's tasks are separate
processes (on several workers), so nothing holds one connection for the run. Every process
working for a run holds a shared session-level advisory lock named after its run key (PostgreSQL
drops it with the process's connection, so a killed process lets go at once) and renews the
row's ``heartbeat_at``. Another scan takes over only from a run found dead: nobody holds its
lock and, for a run from Airflow, whose tasks come and go, its heartbeat is older than
``Settings.scan_lease_s``; ``impartial scan`` is one process, so its lock alone tells. The dead
run is marked ``interrupted``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pipeline.clock import now
from pipeline.config import Settings, get_settings
from pipeline.db.engine import get_engine
from pipeline.db.models import ScanRun
from pipeline.vocabulary import ACTIVE_SCAN_STATUSES, ScanStatus

log = logging.getLogger(__name__)

TAKING = 0x5CA0  # advisory lock classes: taking the lease, and the run keys being worked on
WORKING = 0x5CA1
AIRFLOW = "airflow"  # runs whose tasks come and go: their heartbeat tells whether they live

ACTIVE = sa.text(
    """
    SELECT run_key, trigger, started_at,
           heartbeat_at IS NULL OR heartbeat_at < now() - make_interval(secs => :ttl) AS expired
    FROM scan_run WHERE status IN :active AND run_key <> :run_key
    ORDER BY id
    """
).bindparams(sa.bindparam("active", expanding=True))

TAKE = sa.text(
    """
    INSERT INTO scan_run (run_key, trigger, status, started_at, heartbeat_at)
    VALUES (:run_key, :trigger, 'running', :at, now())
    ON CONFLICT (run_key) DO UPDATE SET
        heartbeat_at = now(),
        status = CASE WHEN scan_run.status IN :active THEN scan_run.status ELSE 'running' END,
        started_at = CASE WHEN scan_run.status IN :active
                          THEN scan_run.started_at ELSE excluded.started_at END,
        finished_at = CASE WHEN scan_run.status IN :active THEN scan_run.finished_at END
    """
).bindparams(sa.bindparam("active", expanding=True))

DEAD = sa.text(
    "UPDATE scan_run SET status = 'interrupted', finished_at = :at, heartbeat_at = NULL "
    "WHERE run_key = :run_key AND status IN :active"
).bindparams(sa.bindparam("active", expanding=True))


class ScanRunningError(RuntimeError):
    """Another scan holds the lease: wait for it or stop it."""


def _running(run_key: str, started_at: datetime | None) -> ScanRunningError:
    since = f"since {started_at:%H:%M} UTC " if started_at else ""
    return ScanRunningError(f"a scan is running {since}(run key {run_key}): wait for it or stop it")


@contextmanager
def held(
    run_key: str,
    trigger: str,
    *,
    wait: bool = False,
    waiting: Callable[[ScanRunningError], None] | None = None,
    engine: sa.Engine | None = None,
    settings: Settings | None = None,
) -> Iterator[None]:
    """Hold the scan lease for ``run_key`` while the block runs; release it at exit.

    Raises :class:`ScanRunningError` when another live scan holds it, unless ``wait``: then
    ``waiting`` hears why once and the lease is asked for again every few seconds.
    """
    settings = settings or get_settings()
    engine = engine or get_engine(settings)
    conn = engine.connect()
    conn.detach()  # closed for real at the end: the session-level lock goes with it
    try:
        conn.execute(sa.select(sa.func.pg_advisory_lock_shared(WORKING, sa.func.hashtext(run_key))))
        conn.commit()
        told = False
        while True:
            try:
                _take(conn, run_key, trigger, settings.scan_lease_s)
                break
            except ScanRunningError as exc:
                if not wait:
                    raise
                if waiting and not told:
                    waiting(exc)
                told = True
                threading.Event().wait(min(5.0, settings.scan_lease_s / 10))
        with _heartbeat(conn, run_key, settings.scan_lease_s / 5):
            yield
    finally:
        conn.close()


def _take(conn: sa.Connection, run_key: str, trigger: str, ttl: float) -> None:
    with conn.begin():
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(TAKING, 0)))
        active = {"active": list(ACTIVE_SCAN_STATUSES)}
        for other in conn.execute(ACTIVE, {"ttl": ttl, "run_key": run_key, **active}).all():
            if not _dead(conn, other):
                raise _running(other.run_key, other.started_at)
            log.warning("scan %s died without finishing: marked interrupted", other.run_key)
            conn.execute(DEAD, {"run_key": other.run_key, "at": now(), **active})
        conn.execute(TAKE, {"run_key": run_key, "trigger": trigger, "at": now(), **active})


def _dead(conn: sa.Connection, run: sa.Row) -> bool:
    """Nobody works on the run now and, for a run from Airflow, its lease expired."""
    nobody = conn.scalar(
        sa.select(sa.func.pg_try_advisory_xact_lock(WORKING, sa.func.hashtext(run.run_key)))
    )
    return bool(nobody) and (run.trigger != AIRFLOW or run.expired)


@contextmanager
def _heartbeat(conn: sa.Connection, run_key: str, every: float) -> Iterator[None]:
    """Renew the lease from a thread while the block runs (the connection is the thread's)."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(every):
            try:
                with conn.begin():
                    conn.execute(
                        sa.text(
                            "UPDATE scan_run SET heartbeat_at = now() "
                            "WHERE run_key = :run_key AND status IN :active"
                        ).bindparams(sa.bindparam("active", expanding=True)),
                        {"run_key": run_key, "active": list(ACTIVE_SCAN_STATUSES)},
                    )
            except sa.exc.SQLAlchemyError as exc:  # the next beat tries again
                log.warning("could not renew the scan lease of %s: %s", run_key, exc)

    thread = threading.Thread(target=beat, name="scan-lease", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def mark(session: Session, run_key: str, status: ScanStatus, **values: object) -> None:
    """Record a stage's end on the run's row (only while it is active: never backwards)."""
    session.execute(
        sa.update(ScanRun)
        .where(ScanRun.run_key == run_key, ScanRun.status.in_(ACTIVE_SCAN_STATUSES))
        .values(status=str(status), heartbeat_at=sa.func.now(), **values)
    )
