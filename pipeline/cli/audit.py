"""``impartial audit``: read the audit trail from a shell, and check its hash chain. Every
search, export and check is itself audited (``pipeline.audit.search.search_audited``,
``pipeline.audit.chain.check``), as on the auditor's page and in the API."""

from __future__ import annotations

import sys
from datetime import datetime

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pipeline.audit import chain
from pipeline.audit.actions import detail_lines
from pipeline.audit.search import search_audited, to_csv, until
from pipeline.audit.trail import cli_actor
from pipeline.cli.common import console, database_errors, err, fail, parse_date, session
from pipeline.db.engine import get_engine
from pipeline.i18n import _

audit = typer.Typer(help="The audit trail: search it, export it, verify it.", no_args_is_help=True)


@audit.command("search")
def search(
    action: str | None = typer.Option(None, "--action", help="Action prefix, e.g. 'auth.'."),
    actor: str | None = typer.Option(None, "--actor", help="Part of the actor, e.g. an email."),
    subject_type: str | None = typer.Option(None, "--subject-type", help="e.g. flag, report."),
    subject_id: str | None = typer.Option(None, "--subject-id", help="The subject's id."),
    person_id: int | None = typer.Option(None, "--person", help="Events about this person id."),
    date_from: str | None = typer.Option(None, "--from", help="From this instant (YYYY-MM-DD)."),
    date_to: str | None = typer.Option(
        None, "--to", help="To this day, included (YYYY-MM-DD), or before this instant."
    ),
    limit: int = typer.Option(200, "--limit", min=1, max=10_000, help="At most this many."),
    as_csv: bool = typer.Option(False, "--csv", help="Write CSV to standard output (an export)."),
) -> None:
    """Search the audit trail, newest first; the search is recorded in the trail too.

    Example: impartial audit search --action report. --from 2026-11-01 --csv > reports.csv
    """
    filters = {
        "action": action,
        "actor": actor,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "person_id": person_id,
        "date_from": parse_date(date_from, "--from"),
        "date_to": _period_end(date_to),
    }
    with session() as uow:
        events = search_audited(
            uow.session, filters, reader=cli_actor(), export=as_csv, limit=limit
        )
        uow.commit()
    if as_csv:
        sys.stdout.write(to_csv(events))
        return
    table = Table(_("at"), _("actor"), _("action"), _("subject"), _("details"))
    for e in events:
        subject = f"{e['subject_type']} {e['subject_id']}" if e["subject_type"] else ""
        details = "; ".join(f"{k}: {v}" for k, v in detail_lines(e["details"]))
        table.add_row(e["at"][:19], e["actor"], e["action"], subject, details)
    console.print(table)
    console.print(_("%(n)s event(s)") % {"n": len(events)})


def _period_end(value: str | None) -> datetime | None:
    try:
        return until(value)
    except ValueError:
        raise fail(
            _("%(option)s: %(value)r is not a date (use YYYY-MM-DD)")
            % {"option": "--to", "value": value}
        ) from None


@audit.command("verify")
def verify(
    anchor: str | None = typer.Option(
        None,
        "--anchor",
        help="SEQ:HASH printed by an earlier check and kept elsewhere: that entry must be "
        "unchanged (catches a chain rewritten from some point on).",
    ),
) -> None:
    """Check the audit log's hash chain: every event chained, in order, unchanged.

    Exits 0 with the number of events when the chain is intact, 1 with the first broken link
    (changed, deleted or unchained events, missing or reordered entries) when it is not.

    Example: impartial audit verify --anchor 1841:3f1c...e09a
    """
    try:
        expected = chain.parse_anchor(anchor) if anchor else None
    except ValueError as exc:
        raise fail(f"--anchor: {exc}") from None
    columns = (TextColumn(_("verifying")), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with database_errors(), Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task("chain", total=None)
        report = chain.check(
            get_engine(),
            actor=cli_actor(),
            anchor=expected,
            on_total=lambda total: bar.update(task, total=total),
            progress=lambda done: bar.advance(task, done),
        )
    if report.intact:
        head = _("; head %(head)s (keep it elsewhere, pass it later as --anchor)") % {
            "head": report.head
        }
        console.print(
            _("audit chain intact: %(n)s event(s)") % {"n": report.entries}
            + (head if report.entries else "")
        )
        return
    first = report.breaks[0]
    broken = escape(_("audit chain broken"))
    err.print(
        f"[bold red]{broken}[/]: "
        + escape(
            _("%(n)s problem(s); the first broken link is %(link)s")
            % {"n": report.break_count, "link": first.describe()}
        ),
        highlight=False,
        markup=True,
    )
    for found in report.breaks[1:]:
        err.print(f"  {found.describe()}", highlight=False)
    if report.break_count > len(report.breaks):
        more = report.break_count - len(report.breaks)
        err.print("  " + _("... and %(n)s more") % {"n": more}, highlight=False)
    raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(audit, name="audit")
