"""``impartial scan``: fetch new public posts of every eligible account (the nightly scan)."""

from __future__ import annotations

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pipeline import ingest, registry
from pipeline.cli.common import console, database_errors, session
from pipeline.db.models import ScanRun


def scan(
    ingest_only: bool = typer.Option(
        False, "--ingest-only", help="Only fetch and store new posts; do not assess them."
    ),
) -> None:
    """Fetch every eligible account's new public posts, then assess them.

    Only official accounts and personal accounts with consent in force are fetched; hosts are
    fetched in parallel within their rate limits. Prints what was fetched, skipped and failed.

    Example: impartial scan --ingest-only
    """
    with session() as uow:
        shards = ingest.plan_shards(uow.session)
        run = ScanRun(trigger="cli")
        uow.session.add(run)
        uow.commit()
        run_id = run.id
    account_ids = [i for shard in shards for i in shard["account_ids"]]
    if not account_ids:
        console.print(
            "no eligible accounts: register accounts with 'impartial accounts add' and, for "
            "personal accounts, record consent with 'impartial consent grant'"
        )
    summary = _ingest(account_ids, len(shards))
    with session() as uow:
        run = uow.session.get(ScanRun, run_id)
        run.status = "partial" if summary.errors else "success"
        run.finished_at = registry.now()
        run.accounts, run.requests = summary.accounts, summary.requests
        run.new_posts, run.edits = summary.new_posts, summary.edits
        run.skipped, run.errors = dict(summary.skipped), dict(summary.errors)
        uow.commit()
    _print_summary(summary)
    if ingest_only:
        return
    assessed, queued = _assess_and_queue()
    with session() as uow:
        run = uow.session.get(ScanRun, run_id)
        run.assessed, run.flags_created = assessed["assessed"], assessed["flags_created"]
        uow.commit()
    console.print(
        f"assessed {assessed['assessed']} post(s) ({assessed['model_calls']} model call(s)); "
        f"{assessed['flags_created']} new flag(s), {queued.get('samples', 0)} quality "
        f"sample(s) and {queued.get('official_languages_flags', 0)} official-languages flag(s) "
        "queued for review"
    )


def _assess_and_queue() -> tuple[dict, dict]:
    """Embed and score what ingestion brought, then queue the flags (the DAG's later steps)."""
    from pipeline import classify
    from pipeline import scan as steps

    columns = (
        TextColumn("[bold]assessing[/] posts"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with database_errors(), Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("assess", total=None)
        assessed = classify.assess_pending(
            progress=lambda done, total: bar.update(task, completed=done, total=total)
        ).as_dict()
        queued = steps.enqueue("cli")
    return assessed, queued


def _ingest(account_ids: list[int], hosts: int) -> ingest.IngestSummary:
    columns = (
        TextColumn("[bold]fetching[/] {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with database_errors(), Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(f"{hosts} host(s)", total=len(account_ids))
        return ingest.ingest_accounts(account_ids, progress=lambda n: bar.advance(task, n))


def _print_summary(summary: ingest.IngestSummary) -> None:
    table = Table("", "count", title="Scan summary (ingestion)", title_justify="left")
    for label, value in (
        ("accounts", summary.accounts),
        ("requests", summary.requests),
        ("new posts", summary.new_posts),
        ("edits", summary.edits),
        ("rate-limited answers (429)", summary.http_429),
    ):
        table.add_row(label, str(value))
    for reason, count in sorted(summary.skipped.items()):
        table.add_row(f"skipped: {reason.replace('_', ' ')}", str(count))
    for host, count in sorted(summary.errors.items()):
        table.add_row(f"[red]failed accounts on {host}[/]", str(count))
    console.print(table)
    if summary.errors:
        console.print(
            "[yellow]some accounts failed[/]: they resume from their last stored cursor on "
            "the next scan; the log names each failure"
        )


def register(app: typer.Typer) -> None:
    app.command("scan")(scan)
