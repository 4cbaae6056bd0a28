"""``impartial report``: the compliance reports in sql/reports."""

from __future__ import annotations

import csv
import json
import sys
from datetime import timedelta
from enum import StrEnum

import typer
from rich.table import Table

from pipeline import reports
from pipeline.cli.common import console, database_errors, parse_date


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


def report(
    name: str | None = typer.Argument(None, help="Report name (omit to list the reports)."),
    date_from: str | None = typer.Option(None, "--from", help="First day, YYYY-MM-DD (UTC)."),
    date_to: str | None = typer.Option(
        None, "--to", help="Last day, YYYY-MM-DD, included (default: now)."
    ),
    fmt: Format = typer.Option(Format.table, "--format", help="table, csv or json."),
) -> None:
    """Run a compliance report over a period (default: the last 90 days).

    Example: impartial report flags_by_org_unit --from 2026-01-01 --to 2026-03-31 --format csv
    """
    with database_errors():
        if name is None:
            table = Table("report", "title", "what it shows")
            for info in reports.list_reports():
                table.add_row(info.name, info.title, info.description)
            console.print(table)
            return
        start = parse_date(date_from, "--from")
        end = parse_date(date_to, "--to")
        if end is not None and date_to is not None and len(date_to) == 10:
            end += timedelta(days=1)  # a day given alone is included whole
        result = reports.run_report(name, date_from=start, date_to=end)
    if fmt is Format.json:
        print(json.dumps(result.as_dict(), ensure_ascii=False))
    elif fmt is Format.csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(result.columns)
        writer.writerows([reports.plain(v) for v in row] for row in result.rows)
    else:
        table = Table(
            *result.columns,
            title=f"{result.title} ({result.date_from:%Y-%m-%d} to {result.date_to:%Y-%m-%d})",
        )
        for row in result.rows:
            table.add_row(*("" if v is None else str(reports.plain(v)) for v in row))
        console.print(table)
        if not result.rows:
            console.print("no rows in this period")


def register(app: typer.Typer) -> None:
    app.command("report")(report)
