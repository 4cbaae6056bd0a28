"""The scan deadline job (the ``scan_deadline`` DAG): did the day's scan succeed in time?

Airflow 3 has no SLAs; this check stands in for one. From ``IMPARTIAL_SCAN_DEADLINE`` (HH:MM
in ``IMPARTIAL_SCAN_DEADLINE_TIMEZONE``) on, a day is on time when a scan that started that
day (local) ended ``success`` by the deadline. A day that is not gets one alert
(:mod:`pipeline.jobs.alerts`), recorded in the audit log (``scan.deadline_missed``, subject the
day), so the hourly check does not repeat it; a delivery that fails is tried again by the next
check. Times come in as ``at``, so tests pass an explicit clock.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from pipeline.audit.trail import record
from pipeline.clock import instant, now
from pipeline.config import Settings, get_settings
from pipeline.db.engine import unit_of_work
from pipeline.db.models import AuditEvent, ScanRun
from pipeline.jobs import alerts

ACTOR = "job:scan_deadline"
ACTION = "scan.deadline_missed"


def deadline_of(at: datetime, settings: Settings) -> tuple[datetime, datetime] | None:
    """The start of ``at``'s local day and that day's deadline (None: no deadline set)."""
    if not settings.scan_deadline:
        return None
    local = at.astimezone(ZoneInfo(settings.scan_deadline_timezone))
    hours, minutes = (int(part) for part in settings.scan_deadline.split(":"))
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return day, local.replace(hour=hours, minute=minutes, second=0, microsecond=0)


def check(at: datetime | str | None = None, *, settings: Settings | None = None) -> dict:
    """Check the day of ``at`` (default: now); alert once when its scan missed the deadline.

    Returns ``status``: ``off`` (no deadline set), ``not_due`` (before the deadline), ``met``,
    or ``missed`` with ``alerted`` (whether this check sent the alert)."""
    settings = settings or get_settings()
    at = now(instant(at))
    bounds = deadline_of(at, settings)
    if bounds is None:
        return {"status": "off"}
    day_start, deadline = bounds
    day = day_start.date().isoformat()
    result: dict = {"day": day, "deadline": deadline.isoformat()}
    if at < deadline:
        return {**result, "status": "not_due"}
    with unit_of_work() as uow:
        on_time = uow.session.scalar(
            sa.select(ScanRun.id)
            .where(
                ScanRun.status == "success",
                ScanRun.started_at >= day_start,
                ScanRun.finished_at <= deadline,
            )
            .limit(1)
        )
        if on_time is not None:
            return {**result, "status": "met", "scan_run_id": on_time}
        latest = uow.session.execute(
            sa.select(ScanRun.run_key, ScanRun.status)
            .where(ScanRun.started_at >= day_start)
            .order_by(ScanRun.started_at.desc())
            .limit(1)
        ).first()
        alerted = uow.session.scalar(
            sa.select(AuditEvent.id)
            .where(
                AuditEvent.action == ACTION,
                AuditEvent.subject_type == "scan_day",
                AuditEvent.subject_id == day,
            )
            .limit(1)
        )
    result["latest"] = {"run_key": latest.run_key, "status": latest.status} if latest else None
    if alerted is not None:
        return {**result, "status": "missed", "alerted": False}
    seen = (
        f"the day's latest scan, {latest.run_key}, is {latest.status}"
        if latest
        else "no scan started that day"
    )
    alerts.notify(
        f"Impartial: the scan of {day} missed its deadline",
        f"No scan succeeded on {day} by {settings.scan_deadline} "
        f"({settings.scan_deadline_timezone}): {seen}.",
        result,
        settings=settings,
    )
    with unit_of_work() as uow:
        record(uow.session, ACTION, actor=ACTOR, subject_type="scan_day", subject_id=day, **result)
        uow.commit()
    return {**result, "status": "missed", "alerted": True}
