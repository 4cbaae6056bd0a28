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
from pipeline.i18n import _

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
        fetching = bar.add_task(_("fetching accounts"), total=None)
        assessing = bar.add_task(_("assessing posts"), total=None, visible=False)

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
            raise fail(_("stopped before fetching anything"), INTERRUPTED) from None
    if not summary["accounts"]:
        console.print(
            _(
                "no eligible accounts: register accounts with 'impartial accounts add' and, for "
                "personal accounts, record consent with 'impartial consent grant'"
            )
        )
    _print_summary(summary)
    if summary["status"] == "interrupted":
        console.print(
            _(
                "stopped: what was fetched is stored; the next scan goes on from there "
                "(assessed %(n)s post(s))"
            )
            % {"n": summary["assessed"]}
        )
        raise typer.Exit(INTERRUPTED)
    if ingest_only:
        return
    queued = summary["queued"]
    console.print(
        _(
            "assessed %(assessed)s post(s) (%(calls)s model call(s)); %(flags)s new flag(s), "
            "%(samples)s quality sample(s) and %(languages)s official-languages flag(s) "
            "queued for review"
        )
        % {
            "assessed": summary["assessed"],
            "calls": summary["model_calls"],
            "flags": summary["flags_created"],
            "samples": queued.get("samples", 0),
            "languages": queued.get("official_languages_flags", 0),
        }
    )


def _print_summary(summary: dict) -> None:
    table = Table("", _("count"), title=_("Scan summary (ingestion)"), title_justify="left")
    for what, key in (
        (_("accounts"), "accounts"),
        (_("requests"), "requests"),
        (_("new posts"), "new_posts"),
        (_("edits"), "edits"),
        (_("rate-limited answers (429)"), "http_429"),
    ):
        table.add_row(what, str(summary[key]))
    for reason, count in sorted(summary["skipped"].items()):
        why = reason.replace("_", " ")
        table.add_row(_("skipped: %(reason)s") % {"reason": why}, str(count))
    for host, count in sorted(summary["errors"].items()):
        failed = _("failed accounts on %(host)s") % {"host": host}
        table.add_row(Text(failed, style="red"), str(count))
    for kind, count in sorted(summary.get("errors_by_kind", {}).items()):
        failed = _("failed accounts: %(kind)s") % {"kind": kind}
        table.add_row(Text(failed, style="red"), str(count))
    console.print(table)
    for shard in summary["failed_shards"]:
        every = escape(_("every account of %(shard)s failed") % {"shard": shard})
        console.print(
            f"[red]{every}[/]: " + escape(_("the host may be down")),
            markup=True,
        )
    if summary.get("failures"):
        console.print(failures_table(summary["failures"]))
    if summary["errors"]:
        some = escape(_("some accounts failed"))
        console.print(
            f"[yellow]{some}[/]: "
            + escape(
                _(
                    "a transient failure resumes from the account's last stored cursor on the "
                    "next scan; a permanent one needs its reason fixed (see 'impartial accounts "
                    "list')"
                )
            ),
            markup=True,
        )
    console.print(_("scan run: %(status)s") % {"status": summary["status"]})


def failures_table(failures: list[dict]) -> Table:
    """The accounts that could not be read, with the kind and reason of each failure."""
    table = Table(
        _("account"),
        _("platform"),
        _("host"),
        _("kind"),
        "HTTP",
        _("reason"),
        title=_("Accounts not read"),
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
