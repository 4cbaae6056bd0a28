"""``impartial demo``: the whole product on this machine, with synthetic data, in one command.

The demo's modules and Airflow are imported inside the command, so ``impartial --help`` stays
fast. Its summary is in the CLI's language; the posts are shown as written.
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
from pipeline.i18n import _, ngettext
from pipeline.labels import label

if TYPE_CHECKING:
    from pathlib import Path

    from pipeline.demo.logins import Login
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
    leaves this machine. Prints a sign-in for every role (new passwords on every run). Safe to
    re-run: the registry is kept and nothing is ingested twice.

    Example: impartial demo --no-serve --airflow real
    """
    from pipeline.db import migrate
    from pipeline.db.engine import get_owner_engine
    from pipeline.demo import dataset, history, logins, platforms, seed, summary

    settings = get_settings()
    started = time.perf_counter()
    console.print(_("data folder: %(folder)s") % {"folder": settings.data_dir.resolve()})
    with database_errors(), console.status(_("starting the database and migrating")):
        migrate.upgrade(get_owner_engine())
    data = dataset.load()
    with session() as uow:
        start = seed.posts_start(uow.session, data)
    with platforms.serve(data, start) as addresses:
        with session() as uow:
            seeded = seed.seed(uow.session, data, addresses)
            uow.commit()
        console.print(
            _(
                "registry: %(people)s people, %(accounts)s accounts (%(people_added)s people, "
                "%(accounts_added)s accounts and %(consents)s consents added; %(moved)s moved "
                "to this run's fake servers); %(posts)s synthetic posts served"
            )
            % {
                "people": len(data.people),
                "accounts": len(data.accounts),
                "people_added": seeded.people_added,
                "accounts_added": seeded.accounts_added,
                "consents": seeded.consents_recorded,
                "moved": seeded.accounts_moved,
                "posts": len(data.posts),
            }
        )
        result = _real_scan() if airflow is AirflowMode.real else _test_scan(settings.data_dir)
    if result.state != "success":
        raise fail(
            _("the nightly_scan run ended %(state)s: %(tasks)s")
            % {"state": result.state, "tasks": result.tasks},
            1,
        )
    with session() as uow:
        signins = logins.demo_logins(uow.session)
        decided = history.seed_history(uow.session)
        uow.commit()
    with session() as uow:
        report = summary.summarize(uow.session, emails=[p.email for p in data.people])
        _print(report, result)
    if decided:
        console.print(
            ngettext(
                "review history: the demo reviewer decided %(n)s item, so that every report "
                "has something to show",
                "review history: the demo reviewer decided %(n)s items, so that every report "
                "has something to show",
                decided,
            )
            % {"n": decided}
        )
    console.print(
        _("scan finished in %(seconds)s s") % {"seconds": f"{time.perf_counter() - started:.0f}"}
    )
    _print_logins(signins)
    if serve:
        _serve(port)
    else:
        console.print(_("Serve the review UI with: ./impartial serve"))


def _test_scan(data_dir: Path) -> RunResult:
    from pipeline.jobs import airflow_local

    airflow_local.use_home(data_dir / "airflow")
    with console.status(_("preparing Airflow (SQLite metadata database)")):
        airflow_local.migrate()
    with console.status(_("running the nightly_scan DAG through Airflow (dag.test)")):
        return airflow_local.run_once("nightly_scan", retries=0)


def _real_scan() -> RunOutcome:
    """Start Airflow unless it runs (only triggered runs: the fake platforms live as long as
    this command), trigger the scan through the REST API and wait for it."""
    from pipeline.cli import airflow as airflow_cli
    from pipeline.jobs import airflow_stack

    with airflow_cli.errors(), console.status(_("starting Airflow")) as spinner:
        stack = airflow_stack.up(schedule=False, log=lambda line: spinner.update(line))
    console.print(
        _(
            "Airflow UI: %(url)s  login admin / %(password)s  (stop it with 'impartial airflow down')"
        )
        % {"url": stack.url, "password": stack.password()}
    )
    with airflow_cli.errors():
        return airflow_cli.trigger_and_wait(stack.home, "nightly_scan", timeout_s=1800)


def _print(report: ScanSummary, result: RunResult | RunOutcome) -> None:
    people = Table(
        _("name"),
        _("email"),
        _("org unit"),
        _("seniority"),
        _("consent"),
        _("accounts"),
        title=_("People in the demo registry"),
        title_justify="left",
    )
    for person in report.people:
        people.add_row(
            person.name,
            person.email,
            person.org_unit,
            label(person.seniority),
            _consent(person.consent),
            str(person.accounts),
        )
    console.print(people)
    console.print(
        "\n"
        + _("nightly_scan: Airflow run %(run)s ended %(state)s")
        % {"run": result.run_id, "state": result.state},
        highlight=False,
    )
    run = report.run
    if run is not None:
        console.print(
            _(
                "scan run %(key)s: %(status)s; %(accounts)s accounts, %(new)s new posts, "
                "%(edits)s edits, %(assessed)s assessed, %(flags)s flags"
            )
            % {
                "key": run.run_key,
                "status": run.status,
                "accounts": run.accounts,
                "new": run.new_posts,
                "edits": run.edits,
                "assessed": run.assessed,
                "flags": run.flags_created,
            }
        )
    accounts = Table(
        _("account"),
        _("platform"),
        _("kind"),
        _("scanned"),
        _("posts"),
        _("assessed"),
        _("flags"),
        title=_("What was ingested, assessed and flagged"),
        title_justify="left",
    )
    for line in report.accounts:
        accounts.add_row(
            line.name,
            label(line.platform),
            label(line.kind),
            _("yes") if line.scanned else Text(_("no: no consent"), style="dim"),
            str(line.posts),
            str(line.assessed),
            str(line.flags),
        )
    console.print(accounts)
    flags = Table(
        _("who"),
        _("org unit"),
        _("seniority"),
        _("account"),
        _("category"),
        _("risk"),
        _("status"),
        _("post"),
        title=_("Flags for human review (%(n)s)") % {"n": len(report.flags)},
        title_justify="left",
    )
    for flag in report.flags:
        flags.add_row(
            label(flag.who),
            flag.org_unit,
            label(flag.seniority),
            label(flag.account),
            label(flag.category),
            f"{flag.risk:.2f}",
            label(flag.status),
            flag.excerpt or _("[text purged]"),
        )
    console.print(flags)


def _consent(state: str) -> str:
    words = {
        "active": _("in force"),
        "withdrawn": _("withdrawn"),
        "expired": _("expired"),
        "pending": _("not yet in force"),
        "none": _("never given"),
    }
    return words.get(state, state)


def _print_logins(signins: list[Login]) -> None:
    table = Table(
        _("role"),
        _("email"),
        _("password"),
        title=_("Sign in to the review UI as (new passwords on every run)"),
        title_justify="left",
    )
    for login in signins:
        table.add_row(label(login.role), login.email, login.password)
    console.print(table)


def _serve(port: int) -> None:
    console.print(
        "\n[bold]"
        + escape(_("Review UI:"))
        + f"[/] http://127.0.0.1:{port}   "
        + escape(_("(Ctrl-C to stop)")),
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
        console.print(_("stopped"))


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
