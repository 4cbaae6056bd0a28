"""The Reports pages: the list, one report as a table with an SVG chart, its CSV download;
each classifier version's model card as a page, Markdown or JSON."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response

from pipeline.classify.card import (
    DEFAULT_DAYS,
    language,
    model_card,
    render_markdown,
    sections,
    summaries,
)
from pipeline.classify.card.texts import texts
from pipeline.errors import InputError
from pipeline.reports.audited import export_report, view_report
from pipeline.reports.runner import csv_filename, list_reports, to_csv
from pipeline.web.charts import build_chart
from pipeline.web.deps import DbSession, ReportReader, read_report
from pipeline.web.rendering import render

router = APIRouter(include_in_schema=False)


CARD_FORMATS = ("html", "md", "json")


@router.get("/reports")
def reports_index(request: Request, user: ReportReader, db: DbSession) -> Response:
    return render(request, "reports.html", user, reports=list_reports(), cards=summaries(db))


@router.get("/reports/model-cards/{version:path}")
def model_card_page(
    request: Request,
    version: str,
    user: ReportReader,
    db: DbSession,
    lang: str = Query("en"),
    days: int = Query(DEFAULT_DAYS, ge=1, le=3650),
    fmt: str = Query("html", alias="format"),
) -> Response:
    """A version's model card (``live``: the live one). Not audited: it holds counts and rates,
    nothing about a person, and ``impartial classifier card`` is not audited either."""
    lang = language(lang)
    if fmt not in CARD_FORMATS:
        raise HTTPException(400, f"format {fmt!r}: use html, md or json")
    try:
        card = model_card(db, version, lang=lang, days=days)
    except InputError as exc:
        raise HTTPException(404, str(exc)) from None
    name = f"model-card-{re.sub(r'[^A-Za-z0-9._-]+', '_', card['version'])[:120]}-{lang}"
    if fmt == "json":
        disposition = {"Content-Disposition": f'attachment; filename="{name}.json"'}
        return JSONResponse(card, headers=disposition)
    if fmt == "md":
        return Response(
            render_markdown(card),
            media_type="text/markdown; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.md"'},
        )
    other = "fr" if lang == "en" else "en"
    return render(
        request,
        "model_card.html",
        user,
        card=card,
        sections=sections(card),
        t=texts(lang),
        other=other,
        links={
            "md": urlencode({"lang": lang, "days": days, "format": "md"}),
            "json": urlencode({"lang": lang, "days": days, "format": "json"}),
            "other": urlencode({"lang": other, "days": days}),
        },
    )


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
