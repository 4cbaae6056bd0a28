"""Running a report for a signed-in user: the period from the query string, and the audit."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

from fastapi import HTTPException, Request
from sqlalchemy.orm import Session

from pipeline import audit, reports
from pipeline.db.models import AppUser
from pipeline.web.common import parse_day


def known(name: str) -> reports.ReportInfo:
    for info in reports.list_reports():
        if info.name == name:
            return info
    raise HTTPException(404, f"no report {name!r}")


def period_args(date_from: str | None, date_to: str | None) -> dict[str, Any]:
    """``from``/``to`` as YYYY-MM-DD; a day given alone as ``to`` is included whole."""
    end = parse_day(date_to)
    if end is not None and date_to is not None and len(date_to) == 10:
        end += timedelta(days=1)
    return {"date_from": parse_day(date_from), "date_to": end}


def _audit(db: Session, user: AppUser, action: str, data: dict[str, Any]) -> None:
    # the report's name, period and size; never its cells
    audit.record(
        db,
        action,
        actor=f"user:{user.email}",
        actor_user_id=user.id,
        subject_type="report",
        subject_id=data["name"],
        date_from=data["date_from"],
        date_to=data["date_to"],
        rows=len(data["rows"]),
    )
    db.commit()


def chart_data(
    request: Request,
    db: Session,
    user: AppUser,
    name: str,
    date_from: str | None,
    date_to: str | None,
) -> dict[str, Any]:
    """The report with its chart series (``report_chart_data``); audited as report.view."""
    known(name)
    data = reports.report_chart_data(
        name,
        **period_args(date_from, date_to),
        engine=db.get_bind(),
        settings=request.app.state.settings,
    )
    _audit(db, user, "report.view", data)
    return data


def csv_export(
    request: Request,
    db: Session,
    user: AppUser,
    name: str,
    date_from: str | None,
    date_to: str | None,
) -> tuple[str, str]:
    """(file name, CSV text) of a report; audited as report.export."""
    known(name)
    report = reports.run_report(
        name,
        **period_args(date_from, date_to),
        engine=db.get_bind(),
        settings=request.app.state.settings,
    )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(report.columns)
    writer.writerows([reports.plain(v) for v in row] for row in report.rows)
    _audit(db, user, "report.export", report.as_dict())
    filename = f"{name}_{report.date_from:%Y-%m-%d}_{report.date_to:%Y-%m-%d}.csv"
    return filename, out.getvalue()
