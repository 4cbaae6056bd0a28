"""``impartial demo``: the whole product on this machine, with synthetic data, in one command.

The demo's modules and Airflow are imported inside the command, so ``impartial --help`` stays
fast.
"""

from __future__ import annotations

import subprocess
import sys
import time
from enum import StrEnum
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from pipeline.cli.common import console, database_errors, fail, session
from pipeline.config import get_settings

if TYPE_CHECKING:
    from pathlib import Path

    from pipeline.demo.summary import ScanSummary
    from pipeline.jobs.airflow_api import RunOutcome
    from pipeline.jobs.airflow_local import RunResult


class AirflowMode(StrEnum):
    test = "test"
    real = "real"


def demo(
    serve: bool = typer.Option(
        True, "--serve/--no-serve", help="Serve the review UI after the scan (until Ctrl-C)."
    ),
    port: int = typer.Option(8000, "--port", help="Port of the review UI on 127.0.0.1."),
    airflow: AirflowMode = typer.Option(
        AirflowMode.test,
        "--airflow",
        help="'test': run the DAG in this process (dag.test(), SQLite metadata). 'real': "
        "through a real scheduler ('impartial airflow up' if it is not running), triggered "
        "through its REST API.",
    ),
) -> None:
    """Seed a synthetic registry, run the nightly scan once through Airflow, serve the review UI.

    Uses the embedded PostgreSQL and local fake Mastodon, Bluesky and RSS servers: nothing
    leaves this machine. Safe to re-run: the registry is kept and nothing is ingested twice.

    Example: impartial demo --no-serve --airflow real
    """
    from pipeline.db import migrate
    from pipeline.db.engine import get_owner_engine
    from pipeline.demo import dataset, platforms, seed, summary

    settings = get_settings()
    started = time.perf_counter()
    with database_errors(), console.status("starting the database and migrating"):
        migrate.upgrade(get_owner_engine())
    data = dataset.load()
    with platforms.serve(data) as addresses:
        with session() as uow:
            seeded = seed.seed(uow.session, data, addresses)
            uow.commit()
        console.print(
            f"registry: {len(data.people)} people, {len(data.accounts)} accounts "
            f"({seeded.people_added} people, {seeded.accounts_added} accounts and "
            f"{seeded.consents_recorded} consents added; {seeded.accounts_moved} moved to "
            f"this run's fake servers); {len(data.posts)} synthetic posts served"
        )
        result = _real_scan() if airflow is AirflowMode.real else _test_scan(settings.data_dir)
    with session() as uow:
        report = summary.summarize(uow.session)
        _print(report, result)
    console.print(f"scan finished in {time.perf_counter() - started:.0f} s")
    if result.state != "success":
        raise fail(f"the nightly_scan run ended {result.state}: {result.tasks}", 1)
    if serve:
        _serve(port)


def _test_scan(data_dir: Path) -> RunResult:
    from pipeline.jobs import airflow_local

    airflow_local.use_home(data_dir / "airflow")
    with console.status("preparing Airflow (SQLite metadata database)"):
        airflow_local.migrate()
    with console.status("running the nightly_scan DAG through Airflow (dag.test)"):
        return airflow_local.run_once("nightly_scan", retries=0)


def _real_scan() -> RunOutcome:
    """Start Airflow unless it runs (only triggered runs: the fake platforms live as long as
    this command), trigger the scan through the REST API and wait for it."""
    from pipeline.cli import airflow as airflow_cli
    from pipeline.jobs import airflow_stack

    with airflow_cli.errors(), console.status("starting Airflow") as spinner:
        stack = airflow_stack.up(schedule=False, log=lambda line: spinner.update(line))
    console.print(
        f"Airflow UI: {stack.url}  login admin / {stack.password()}  "
        "(stop it with 'impartial airflow down')"
    )
    with airflow_cli.errors():
        return airflow_cli.trigger_and_wait(stack.home, "nightly_scan", timeout_s=1800)


def _print(report: ScanSummary, result: RunResult | RunOutcome) -> None:
    run = report.run
    console.print(
        f"\n[bold]nightly_scan[/]: Airflow run {escape(str(result.run_id))} ended "
        f"[bold]{escape(str(result.state))}",
        markup=True,
    )
    if run is not None:
        console.print(
            f"scan run {run.run_key}: {run.status}; {run.accounts} accounts, {run.new_posts} "
            f"new posts, {run.edits} edits, {run.assessed} assessed, {run.flags_created} flags"
        )
    accounts = Table(
        "account",
        "platform",
        "kind",
        "scanned",
        "posts",
        "assessed",
        "flags",
        title="What was ingested, assessed and flagged",
        title_justify="left",
    )
    for line in report.accounts:
        accounts.add_row(
            line.name,
            line.platform,
            line.kind,
            "yes" if line.scanned else Text("no: no consent", style="dim"),
            str(line.posts),
            str(line.assessed),
            str(line.flags),
        )
    console.print(accounts)
    flags = Table(
        "who",
        "account",
        "category",
        "risk",
        "post",
        title=f"Flags for human review ({len(report.flags)})",
        title_justify="left",
    )
    for flag in report.flags:
        flags.add_row(flag.who, flag.account, flag.category, f"{flag.risk:.2f}", flag.excerpt)
    console.print(flags)


def _serve(port: int) -> None:
    from pipeline.demo import seed

    with session() as uow:
        email, password = seed.reviewer_login(uow.session)
        uow.commit()
    console.print(
        f"\n[bold]Review UI:[/] http://127.0.0.1:{port}   login [bold]{escape(email)}[/] / "
        f"[bold]{escape(password)}[/]   (Ctrl-C to stop)",
        markup=True,
    )
    command = [
        sys.executable,
        "-m",
        "pipeline",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    try:
        subprocess.run(command, check=False)
    except KeyboardInterrupt:
        console.print("stopped")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
