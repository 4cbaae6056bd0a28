"""Compliance reports: each is one SQL file in ``sql/reports`` (readable by analysts too).

A report file's first line is a ``-- Title: description`` comment; its query takes the named
parameters ``:date_from`` and ``:date_to`` (a half-open period of whole UTC days, default the
last ``report_window_days`` before today), and may use ``:sla_hours`` from the settings. Each
count it returns about people's posts comes with a ``<column>__people`` count that small-cell
suppression reads (``pipeline.reports.suppression``) and drops. Results are plain data
(:class:`Report`, :func:`report_chart_data`) for the CLI and the web app; a period is whole days
so two reports never differ by a few seconds' worth of flags.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from pipeline.audit.outputs import csv_text, write_private
from pipeline.clock import now
from pipeline.config import Settings, get_settings
from pipeline.db.engine import get_engine
from pipeline.errors import InputError
from pipeline.i18n import _
from pipeline.reports.suppression import PROTECTIONS, Protection, suppress

REPORTS_DIR = Path(__file__).resolve().parents[2] / "sql" / "reports"


@dataclass(frozen=True)
class ReportInfo:
    name: str
    title: str
    description: str
    path: Path


@dataclass
class Report:
    name: str
    title: str
    description: str
    date_from: datetime
    date_to: datetime
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)

    @property
    def first_day(self) -> date:
        return self.date_from.date()

    @property
    def last_day(self) -> date:
        """The last day covered (``date_to`` is the start of the day after it)."""
        return (self.date_to - timedelta(days=1)).date()

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: dates as ISO strings, decimals as floats."""
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "date_from": self.date_from.isoformat(),
            "date_to": self.date_to.isoformat(),
            "first_day": self.first_day.isoformat(),
            "last_day": self.last_day.isoformat(),
            "columns": self.columns,
            "rows": [[plain(v) for v in row] for row in self.rows],
        }


def plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def list_reports(directory: Path = REPORTS_DIR) -> list[ReportInfo]:
    """Every report, by name (the file's stem)."""
    found = []
    for path in sorted(directory.glob("*.sql")):
        first = path.read_text(encoding="utf-8").splitlines()[0].removeprefix("--").strip()
        title, _colon, description = first.partition(":")
        found.append(ReportInfo(path.stem, title.strip(), description.strip(), path))
    return found


def report_info(name: str) -> ReportInfo:
    reports = {r.name: r for r in list_reports()}
    if name not in reports:
        raise InputError(
            _("no report %(name)r: use one of %(reports)s")
            % {"name": name, "reports": ", ".join(sorted(reports))}
        )
    return reports[name]


def day_start(at: datetime) -> datetime:
    """Midnight UTC of the day ``at`` falls on (UTC when naive): a report's time resolution."""
    at = (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC)
    return datetime(at.year, at.month, at.day, tzinfo=UTC)


def period(
    date_from: datetime | None, date_to: datetime | None, settings: Settings
) -> tuple[datetime, datetime]:
    """The half-open period a report covers, in whole UTC days.

    A time of day is dropped from either end (truncated to that day's start), so a period is
    never finer than a day. Without an end, the period ends with today, included whole (the
    last ``report_window_days`` days, today among them): last night's scan is in the report.
    """
    try:
        end = day_start(date_to) if date_to else day_start(now()) + timedelta(days=1)
        start = (
            day_start(date_from) if date_from else end - timedelta(days=settings.report_window_days)
        )
    except OverflowError:
        raise InputError(
            _("that period reaches past the dates a report can cover (years 1 to 9999)")
        ) from None
    if start >= end:
        raise InputError(
            _(
                "the period is empty: %(start)s is not before %(end)s (a report covers whole days: 'to' must be a later day than 'from')"
            )
            % {"start": f"{start:%Y-%m-%d}", "end": f"{end:%Y-%m-%d}"}
        )
    return start, end


def run_report(
    name: str,
    *,
    date_from: datetime | None = None,
    date_to: datetime | None = None,
    engine: Engine | None = None,
    settings: Settings | None = None,
) -> Report:
    """Run one report over ``[date_from, date_to)`` in a read-only transaction."""
    settings = settings or get_settings()
    info = report_info(name)
    date_from, date_to = period(date_from, date_to, settings)
    params = {
        "date_from": date_from,
        "date_to": date_to,
        "sla_hours": settings.report_sla_hours,
    }
    with (engine or get_engine()).connect() as conn:
        conn.execute(text("SET TRANSACTION READ ONLY"))
        # the period's rows are sorted and hashed in memory rather than spilled to disk
        conn.execute(text("SET LOCAL work_mem = '64MB'"))
        result = conn.execute(text(info.path.read_text(encoding="utf-8")), params)
        columns = list(result.keys())
        rows = [list(row) for row in result]
        conn.rollback()
    protection = PROTECTIONS.get(info.name, Protection())
    if protection is not None:
        columns, rows = suppress(columns, rows, protection, settings.report_min_cell)
    return Report(info.name, info.title, info.description, date_from, date_to, columns, rows)


def to_csv(report: Report) -> str:
    """The report as CSV text: a header row, then the rows (withheld cells as "<5"; a text cell
    a spreadsheet would run as a formula is kept as text)."""
    return csv_text(report.columns, ([plain(v) for v in row] for row in report.rows))


def csv_filename(report: Report) -> str:
    return f"{report.name}_{report.first_day:%Y-%m-%d}_{report.last_day:%Y-%m-%d}.csv"


def end_of(end: datetime | None) -> datetime | None:
    """The end of a period asked for as its last day: that day is included whole (a time of
    day given with it is dropped)."""
    if end is None:
        return None
    try:
        return day_start(end) + timedelta(days=1)
    except OverflowError:
        raise InputError(
            _("%(end)s is too far in the future: the last day a report can cover is 9999-12-30")
            % {"end": f"{end:%Y-%m-%d}"}
        ) from None


def write_reports(
    directory: Path,
    *,
    date_from: datetime | None = None,
    date_to: datetime | None = None,
    engine: Engine | None = None,
    settings: Settings | None = None,
) -> dict[str, Path]:
    """Run every report over one period and write each as ``NAME.csv`` (scheduled reporting),
    readable by the file's owner only."""
    directory.mkdir(parents=True, exist_ok=True)
    written = {}
    for info in list_reports():
        report = run_report(
            info.name, date_from=date_from, date_to=date_to, engine=engine, settings=settings
        )
        path = directory / f"{info.name}.csv"
        write_private(path, to_csv(report))
        written[info.name] = path
    return written


# How each report is drawn: x column, value columns, an optional pivot column, chart kind.
CHARTS: dict[str, dict[str, Any]] = {
    "flags_by_category_week": {"x": "week", "pivot": "category", "y": ["flags"], "kind": "line"},
    "flags_by_org_unit": {
        "x": "org_unit",
        "pivot": "seniority_band",
        "y": ["flags"],
        "kind": "stacked-bar",
    },
    "queue_backlog": {
        "x": "category",
        "y": ["under_1d", "d1_3", "d3_7", "over_7d"],
        "kind": "stacked-bar",
    },
    "time_to_decision": {"x": "category", "y": ["median_h", "p90_h"], "kind": "bar"},
    "decision_mix": {
        "x": "category",
        "y": ["no_concern", "advise", "escalate", "refer"],
        "kind": "stacked-bar",
    },
    "reviewer_workload": {"x": "reviewer", "y": ["reviews", "shared_groups"], "kind": "bar"},
    "classifier_versions": {"x": "version", "y": ["assessments", "flags"], "kind": "bar"},
    "miss_rate": {
        "x": "account_kind",
        "y": ["miss_rate_pct", "ci_low_pct", "ci_high_pct"],
        "kind": "interval",
    },
    "scan_runs": {"x": "started_at", "y": ["new_posts", "errors"], "kind": "line"},
    "official_languages": {"x": "org_unit", "y": ["en", "fr", "unpaired_flags"], "kind": "bar"},
}


def report_chart_data(
    name: str,
    *,
    date_from: datetime | None = None,
    date_to: datetime | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """A report shaped for a chart: ``labels`` and ``series`` (name, values), plus the table.

    Total rows (``all``) are left out of the series; ``kind`` says how to draw it.
    """
    report = run_report(name, date_from=date_from, date_to=date_to, **kwargs)
    spec = CHARTS.get(name, {"kind": "table"})
    data = report.as_dict()
    chart: dict[str, Any] = {"kind": spec["kind"], "labels": [], "series": []}
    if spec["kind"] != "table":
        records = [
            {k: plain(v) for k, v in r.items()}
            for r in report.records()
            if r.get(spec["x"]) != "all"
        ]
        if spec["kind"] == "line" and spec["x"] == "started_at":
            records.reverse()  # oldest first on a time axis
        labels = list(dict.fromkeys(r[spec["x"]] for r in records))
        chart["labels"] = labels
        if "pivot" in spec:
            groups = sorted({r[spec["pivot"]] for r in records})
            cells = {(r[spec["x"]], r[spec["pivot"]]): r[spec["y"][0]] for r in records}
            chart["series"] = [
                {"name": g, "values": [cells.get((x, g), 0) for x in labels]} for g in groups
            ]
        else:
            chart["series"] = [
                {"name": col, "values": [r[col] for r in records]} for col in spec["y"]
            ]
    data["chart"] = chart
    return data
