"""``impartial retention``: apply the retention rules."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from pipeline.audit.trail import cli_actor
from pipeline.cli.common import console, parse_date, session
from pipeline.i18n import _
from pipeline.privacy.retention import run_retention

retention = typer.Typer(
    help="Retention: purge what consent and the rules no longer allow.", no_args_is_help=True
)


@retention.command("run")
def run(
    dry_run: bool = typer.Option(False, "--dry-run", help="Report what would go; change nothing."),
    at: str | None = typer.Option(
        None,
        "--at",
        help="Apply the rules as of this date (UTC; not in the future, except with --dry-run).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the counts as JSON."),
) -> None:
    """Purge expired consents' content, old no_concern and decided flags, and old post text.

    Example: impartial retention run --dry-run
    """
    with session() as uow:
        result = run_retention(
            uow.session, dry_run=dry_run, at=parse_date(at, "--at"), actor=cli_actor()
        )
        if not dry_run:
            uow.commit()
    if as_json:
        console.print_json(json.dumps(result))
        return
    purge = result["consent_purge"]
    table = Table(_("what"), _("would go") if dry_run else _("removed"))
    # the indented rows detail the first one
    rows = {
        _("accounts without consent (purged)"): purge["accounts"],
        "  " + _("posts deleted"): purge["posts_deleted"],
        "  " + _("posts kept as tombstones"): purge["posts_tombstoned"],
        "  " + _("assessments"): purge["assessments"],
        "  " + _("open flags"): purge["open_flags"],
        "  " + _("accounts under legal hold (kept)"): purge["held_accounts"],
        _("no_concern flags past retention"): result["no_concern_flags"],
        _("advise/refer flags past retention"): result["decided_flags"],
        _("texts of never-flagged posts"): result["unflagged_texts"],
        _("embeddings"): result["embeddings"] + purge["embeddings"],
        _("people under legal hold"): result["held_persons"],
    }
    for what, count in rows.items():
        table.add_row(what, str(count))
    console.print(table)
    if dry_run:
        console.print(_("dry run: nothing was changed"))


def register(app: typer.Typer) -> None:
    app.add_typer(retention, name="retention")
