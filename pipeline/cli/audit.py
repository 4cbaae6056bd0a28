"""``impartial audit``: read the audit trail from a shell. Every search and export is itself
audited (``pipeline.audit.search.search_audited``), as on the auditor's page and in the API."""

from __future__ import annotations

import sys

import typer
from rich.table import Table

from pipeline.audit.search import search_audited, to_csv
from pipeline.audit.trail import cli_actor
from pipeline.cli.common import console, parse_date, session

audit = typer.Typer(help="The audit trail: search it, export it.", no_args_is_help=True)


@audit.command("search")
def search(
    action: str | None = typer.Option(None, "--action", help="Action prefix, e.g. 'auth.'."),
    actor: str | None = typer.Option(None, "--actor", help="Part of the actor, e.g. an email."),
    subject_type: str | None = typer.Option(None, "--subject-type", help="e.g. flag, report."),
    subject_id: str | None = typer.Option(None, "--subject-id", help="The subject's id."),
    person_id: int | None = typer.Option(None, "--person", help="Events about this person id."),
    date_from: str | None = typer.Option(None, "--from", help="From this instant (YYYY-MM-DD)."),
    date_to: str | None = typer.Option(None, "--to", help="Before this instant (YYYY-MM-DD)."),
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
        "date_to": parse_date(date_to, "--to"),
    }
    with session() as uow:
        events = search_audited(
            uow.session, filters, reader=cli_actor(), export=as_csv, limit=limit
        )
        uow.commit()
    if as_csv:
        sys.stdout.write(to_csv(events))
        return
    table = Table("at", "actor", "action", "subject", "details")
    for e in events:
        subject = f"{e['subject_type']} {e['subject_id']}" if e["subject_type"] else ""
        table.add_row(e["at"][:19], e["actor"], e["action"], subject, str(e["details"] or ""))
    console.print(table)
    console.print(f"{len(events)} event(s)")


def register(app: typer.Typer) -> None:
    app.add_typer(audit, name="audit")
