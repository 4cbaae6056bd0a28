"""``impartial scan``: fetch new public posts of every eligible account (the nightly scan).

It runs ``pipeline.jobs.nightly_scan.run_all``, the nightly DAG's own steps in one process, so
its ``scan_run`` row follows the same rule as a scan run by Airflow. One scan runs at a time:
while another one runs, this one exits with code 3 (or waits, with ``--wait``). Ctrl-C stops
fetching at once, keeps what was stored, prints the summary and exits with code 130.
"""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from pipeline.cli.common import console, database_errors, fail

SCAN_RUNNING = 3  # exit code: another scan holds the scan lease
INTERRUPTED = 130  # exit code: stopped by Ctrl-C (128 + SIGINT)


def scan(
    ingest_only: bool = typer.Option(
        False, "--ingest-only", help="Only fetch and store new posts; do not assess them."
    ),
    wait: bool = typer.Option(
        False, "--wait", help="If another scan is running, wait for it instead of exiting (3)."
    ),
) -> None:
    """Fetch every eligible account's new public posts, then assess them and queue the flags.

    Only official accounts and personal accounts with consent in force are fetched; hosts are
    fetched in parallel within their rate limits. Prints what was fetched, skipped and failed,
    and records the run (see 'impartial report scan_runs'). One scan runs at a time: while
    another runs (here or in Airflow) this exits with code 3, unless --wait. Ctrl-C stops
    fetching at once, keeps what was stored and prints the summary (exit code 130).

    Example: impartial scan --ingest-only
    """
    # imported here so that 'impartial --help' does not load the classifier's libraries
    from pipeline.jobs.nightly_scan import ScanRunningError, run_all

    columns = (
        TextColumn("[bold]{task.description}[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with database_errors(), Progress(*columns, console=console, transient=True) as bar:
        fetching = bar.add_task("fetching accounts", total=None)
        assessing = bar.add_task("assessing posts", total=None, visible=False)

        def fetched(done: int, total: int) -> None:
            bar.update(fetching, completed=done, total=total)

        def assessed(done: int, total: int) -> None:
            bar.update(assessing, completed=done, total=total, visible=True)

        try:
            summary = run_all(
                ingest_only=ingest_only,
                wait=wait,
                log=bar.console.print,
                fetched=fetched,
                assessed_progress=assessed,
            )
        except ScanRunningError as exc:
            raise fail(str(exc), SCAN_RUNNING) from None
        except KeyboardInterrupt:
            raise fail("stopped before fetching anything", INTERRUPTED) from None
    if not summary["accounts"]:
        console.print(
            "no eligible accounts: register accounts with 'impartial accounts add' and, for "
            "personal accounts, record consent with 'impartial consent grant'"
        )
    _print_summary(summary)
    if summary["status"] == "interrupted":
        console.print(
            "stopped: what was fetched is stored; the next scan goes on from there "
            f"(assessed {summary['assessed']} post(s))"
        )
        raise typer.Exit(INTERRUPTED)
    if ingest_only:
        return
    queued = summary["queued"]
    console.print(
        f"assessed {summary['assessed']} post(s) ({summary['model_calls']} model call(s)); "
        f"{summary['flags_created']} new flag(s), {queued.get('samples', 0)} quality "
        f"sample(s) and {queued.get('official_languages_flags', 0)} official-languages flag(s) "
        "queued for review"
    )


def _print_summary(summary: dict) -> None:
    table = Table("", "count", title="Scan summary (ingestion)", title_justify="left")
    for label, key in (
        ("accounts", "accounts"),
        ("requests", "requests"),
        ("new posts", "new_posts"),
        ("edits", "edits"),
        ("rate-limited answers (429)", "http_429"),
    ):
        table.add_row(label, str(summary[key]))
    for reason, count in sorted(summary["skipped"].items()):
        table.add_row(f"skipped: {reason.replace('_', ' ')}", str(count))
    for host, count in sorted(summary["errors"].items()):
        table.add_row(Text(f"failed accounts on {host}", style="red"), str(count))
    for kind, count in sorted(summary.get("errors_by_kind", {}).items()):
        table.add_row(Text(f"failed accounts: {kind}", style="red"), str(count))
    console.print(table)
    for shard in summary["failed_shards"]:
        console.print(
            f"[red]every account of {escape(str(shard))} failed[/]: the host may be down",
            markup=True,
        )
    if summary.get("failures"):
        console.print(failures_table(summary["failures"]))
    if summary["errors"]:
        console.print(
            "[yellow]some accounts failed[/]: a transient failure resumes from the account's "
            "last stored cursor on the next scan; a permanent one needs its reason fixed "
            "(see 'impartial accounts list')",
            markup=True,
        )
    console.print(f"scan run: {summary['status']}")


def failures_table(failures: list[dict]) -> Table:
    """The accounts that could not be read, with the kind and reason of each failure."""
    table = Table(
        "account",
        "platform",
        "host",
        "kind",
        "HTTP",
        "reason",
        title="Accounts not read",
        title_justify="left",
    )
    for column in table.columns:
        column.overflow = "fold"
    for f in failures:
        table.add_row(
            str(f["account_id"]),
            f["platform"],
            f["host"],
            Text(f["kind"], style="red" if f["kind"] == "permanent" else "yellow"),
            str(f.get("http_status") or "-"),
            Text(f["reason"]),  # platform words: never read as markup
        )
    return table


def register(app: typer.Typer) -> None:
    app.command("scan")(scan)
