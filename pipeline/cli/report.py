"""``impartial report``: the compliance reports in sql/reports."""

from __future__ import annotations

import json
import sys
from enum import StrEnum

import typer
from rich.table import Table

from pipeline.audit.trail import cli_actor
from pipeline.cli.common import console, database_errors, parse_date, session
from pipeline.i18n import _
from pipeline.reports.audited import export_report, view_report
from pipeline.reports.runner import end_of, list_reports, to_csv


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


def report(
    name: str | None = typer.Argument(None, help="Report name (omit to list the reports)."),
    date_from: str | None = typer.Option(
        None, "--from", help="First day, YYYY-MM-DD (UTC; a time of day is dropped)."
    ),
    date_to: str | None = typer.Option(
        None, "--to", help="Last day, YYYY-MM-DD, included (default: today)."
    ),
    fmt: Format = typer.Option(Format.table, "--format", help="table, csv or json."),
) -> None:
    """Run a compliance report over whole days (default: the last 90); every run is audited.

    Example: impartial report flags_by_org_unit --from 2026-01-01 --to 2026-03-31 --format csv
    """
    if name is None:
        with database_errors():
            reports = list_reports()
        table = Table(_("report"), _("title"), _("what it shows"))
        for info in reports:
            table.add_row(info.name, _(info.title), _(info.description))
        console.print(table)
        return
    start = parse_date(date_from, "--from")
    # A table on screen is a view; CSV and JSON are exports. Both are audited.
    read = view_report if fmt is Format.table else export_report
    with session() as uow:
        end = end_of(parse_date(date_to, "--to"))
        result = read(uow.session, name, actor=cli_actor(), date_from=start, date_to=end)
        uow.commit()
    if fmt is Format.json:
        print(json.dumps(result.as_dict(), ensure_ascii=False))
    elif fmt is Format.csv:
        sys.stdout.write(to_csv(result))
    else:
        _print_table(result)


def _print_table(data: dict) -> None:
    table = Table(
        *data["columns"],
        title=_("%(title)s (%(first)s to %(last)s, whole days)")
        % {"title": _(data["title"]), "first": data["first_day"], "last": data["last_day"]},
    )
    for row in data["rows"]:
        table.add_row(*("" if v is None else str(v) for v in row))
    console.print(table)
    if not data["rows"]:
        console.print(_("no rows in this period"))


def register(app: typer.Typer) -> None:
    app.command("report")(report)
