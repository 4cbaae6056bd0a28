"""Reports as people read them: every view and every export is audited here, whichever entry
point asks (a page, the API, ``impartial report``).

The audit event names the report, its period and its number of rows; never its cells. The event
is written in the caller's transaction: the caller commits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from pipeline.audit.trail import record
from pipeline.config import Settings
from pipeline.reports.runner import Report, report_chart_data, run_report


def _record(
    session: Session, action: str, data: dict[str, Any], actor: str, actor_user_id: int | None
) -> None:
    record(
        session,
        action,
        actor=actor,
        actor_user_id=actor_user_id,
        subject_type="report",
        subject_id=data["name"],
        date_from=data["date_from"],
        date_to=data["date_to"],
        rows=len(data["rows"]),
    )


def view_report(
    session: Session,
    name: str,
    *,
    actor: str,
    actor_user_id: int | None = None,
    date_from: datetime | None = None,
    date_to: datetime | None = None,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """The report with its chart series (``report_chart_data``); audited as ``report.view``."""
    data = report_chart_data(
        name, date_from=date_from, date_to=date_to, engine=session.get_bind(), settings=settings
    )
    _record(session, "report.view", data, actor, actor_user_id)
    return data


def export_report(
    session: Session,
    name: str,
    *,
    actor: str,
    actor_user_id: int | None = None,
    date_from: datetime | None = None,
    date_to: datetime | None = None,
    settings: Settings | None = None,
) -> Report:
    """The report's rows, to be written out (CSV, JSON); audited as ``report.export``."""
    report = run_report(
        name, date_from=date_from, date_to=date_to, engine=session.get_bind(), settings=settings
    )
    _record(session, "report.export", report.as_dict(), actor, actor_user_id)
    return report
