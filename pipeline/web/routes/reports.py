"""The Reports pages: the list, one report as a table with an SVG chart, its CSV download;
each classifier version's model card as a page, Markdown or JSON.

Pages show a report's words in the page's language (``report_texts``); the CSV and the API
keep the SQL's column ids."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response

from pipeline import i18n
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
from pipeline.reports.runner import CHARTS, csv_filename, list_reports, to_csv
from pipeline.web import report_texts
from pipeline.web.charts import build_chart
from pipeline.web.deps import DbSession, ReportReader, read_report
from pipeline.web.language import request_lang
from pipeline.web.rendering import render

router = APIRouter(include_in_schema=False)


CARD_FORMATS = ("html", "md", "json")


@router.get("/reports")
def reports_index(request: Request, user: ReportReader, db: DbSession) -> Response:
    return render(
        request,
        "reports.html",
        user,
        reports=list_reports(),
        text=report_texts.text,
        value=report_texts.value,
        cards=summaries(db),
    )


@router.get("/reports/model-cards/{version:path}")
def model_card_page(
    request: Request,
    version: str,
    user: ReportReader,
    db: DbSession,
    lang: str | None = Query(None),
    days: int = Query(DEFAULT_DAYS, ge=1, le=3650),
    fmt: str = Query("html", alias="format"),
) -> Response:
    """A version's model card (``live``: the live one), in ``lang`` (by default the page's
    language). Not audited: it holds counts and rates, nothing about a person, and
    ``impartial classifier card`` is not audited either."""
    lang = language(lang or request_lang(request, user))
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
    with i18n.use_lang(request_lang(request, user)):
        words = report_texts.translated(data)
        spec = CHARTS.get(name, {})
        chart = build_chart(
            words["chart"],
            x_title=report_texts.column(spec["x"]) if "x" in spec else "",
            y_title=report_texts.axis(name, spec.get("y", [])),
        )
    return render(
        request,
        "report.html",
        user,
        report=words,
        chart=chart,
        period=shown,
        query=urlencode(shown),
        min_cell=request.app.state.settings.report_min_cell,
    )
