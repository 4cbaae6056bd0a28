"""The Reports pages: the list, one report as a table with an SVG chart, its CSV download."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from pipeline.reports.audited import export_report, view_report
from pipeline.reports.runner import csv_filename, list_reports, to_csv
from pipeline.web.charts import build_chart
from pipeline.web.deps import DbSession, ReportReader, read_report
from pipeline.web.rendering import render

router = APIRouter(include_in_schema=False)


@router.get("/reports")
def reports_index(request: Request, user: ReportReader) -> Response:
    return render(request, "reports.html", user, reports=list_reports())


# before /reports/{name}: that pattern would also match "NAME.csv"
@router.get("/reports/{name}.csv")
def report_csv(
    request: Request,
    name: str,
    user: ReportReader,
    db: DbSession,
    date_from: str | None = Query(None, alias="from"),
    date_to: str | None = Query(None, alias="to"),
) -> Response:
    report = read_report(export_report, request, db, user, name, date_from, date_to)
    filename = csv_filename(report)
    return Response(
        to_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/reports/{name}")
def report_page(
    request: Request,
    name: str,
    user: ReportReader,
    db: DbSession,
    date_from: str | None = Query(None, alias="from"),
    date_to: str | None = Query(None, alias="to"),
) -> Response:
    data = read_report(view_report, request, db, user, name, date_from, date_to)
    # the days the report covered (whole days), which the CSV link asks for again
    shown = {"from": data["first_day"], "to": data["last_day"]}
    return render(
        request,
        "report.html",
        user,
        report=data,
        chart=build_chart(data["chart"]),
        period=shown,
        query=urlencode(shown),
        min_cell=request.app.state.settings.report_min_cell,
    )
