"""``impartial airflow``: a real Airflow 3 on this machine (``pipeline.jobs.airflow_stack``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from pipeline.cli.common import console, database_errors, fail
from pipeline.i18n import _
from pipeline.jobs import airflow_stack
from pipeline.jobs.airflow_api import AirflowApi, AirflowApiError, RunOutcome

app = typer.Typer(
    help=(
        "Run a real Airflow 3 on this machine (api-server, scheduler, dag-processor, triggerer; "
        "LocalExecutor, or CeleryExecutor with Redis and workers), its metadata database in "
        "PostgreSQL, and trigger the DAGs through its REST API.\n\nExample: impartial airflow up "
        "&& impartial airflow trigger nightly_scan --wait"
    ),
    no_args_is_help=True,
)


class Executor(StrEnum):
    LOCAL = "local"
    CELERY = "celery"


EXECUTORS = {Executor.LOCAL: "LocalExecutor", Executor.CELERY: "CeleryExecutor"}


@app.command()
def up(
    schedule: bool = typer.Option(
        True,
        "--schedule/--manual",
        help="--manual: the scheduler runs only triggered runs, never the DAGs' schedules.",
    ),
    executor: Executor | None = typer.Option(
        None,
        "--executor",
        show_default=False,
        help="local (the default): the scheduler runs the tasks (LocalExecutor). celery: Redis "
        "on a free 127.0.0.1 port and Celery workers run them (CeleryExecutor; needs Debian's "
        "redis-server and the project's celery extra). Unset while Airflow runs: that one.",
    ),
    workers: int = typer.Option(2, "--workers", min=1, help="Celery workers to start."),
    concurrency: int = typer.Option(
        2, "--concurrency", min=1, help="Tasks each Celery worker runs at once."
    ),
) -> None:
    """Start Airflow from this virtualenv (or show the one already running) and print its login.

    The metadata database is 'airflow' beside the app's (IMPARTIAL_AIRFLOW_DATABASE_URL to
    choose another); the UI listens on 127.0.0.1 (IMPARTIAL_AIRFLOW_PORT, else a free port);
    AIRFLOW_HOME and the logs are under the data folder, in airflow-stack/. The DAGs start
    paused: 'impartial airflow trigger' unpauses the one it triggers. With --executor celery,
    the workers are named worker1, worker2...: each task instance records the one that ran it
    as its host name (worker1@HOST).

    Example: impartial airflow up --manual --executor celery --workers 2
    """
    with errors(), console.status("starting Airflow") as spinner:
        stack = airflow_stack.up(
            executor=EXECUTORS[executor] if executor else None,
            workers=workers,
            worker_concurrency=concurrency,
            schedule=schedule,
            log=lambda line: spinner.update(line),
        )
    _print(stack, {name: True for name in stack.processes})


@app.command()
def down() -> None:
    """Stop every process 'impartial airflow up' started (and nothing else).

    Redis and the Celery workers too, when it started them. The embedded PostgreSQL keeps
    running for the other commands ('impartial db stop').

    Example: impartial airflow down
    """
    stopped = airflow_stack.down(airflow_stack.home())
    console.print(
        _("stopped: %(processes)s") % {"processes": ", ".join(stopped)}
        if stopped
        else _("Airflow was not running")
    )


@app.command()
def status() -> None:
    """Show whether each Airflow process is alive, the API server's health and the UI address.

    Exits 1 when a process is not running.

    Example: impartial airflow status
    """
    stack, alive, health = airflow_stack.status(airflow_stack.home())
    if stack is None:
        raise fail(_("Airflow is not running here: start it with 'impartial airflow up'"), 1)
    _print(stack, alive, health)
    if not all(alive.values()):
        raise typer.Exit(1)


@app.command()
def trigger(
    dag_id: str = typer.Argument(..., help="nightly_scan, retention or compliance_report."),
    wait: bool = typer.Option(True, "--wait/--no-wait", help="Wait for the run to end."),
    timeout: float = typer.Option(1800, "--timeout", min=1, help="Seconds to wait at most."),
) -> None:
    """Trigger a run through Airflow's REST API, as an operator does (no logical date).

    Unpauses the DAG if it is paused. With --wait (the default), prints each task's state at
    the end and exits 1 when the run failed.

    Example: impartial airflow trigger nightly_scan --wait --timeout 600
    """
    with errors():
        if not wait:
            _trigger(airflow_stack.home(), dag_id)
            return
        outcome = trigger_and_wait(airflow_stack.home(), dag_id, timeout_s=timeout)
    if outcome.state != "success":
        raise typer.Exit(1)


def _trigger(home: Path, dag_id: str) -> tuple[AirflowApi, str]:
    stack = airflow_stack.load(home)
    if stack is None:
        raise airflow_stack.StackError(
            _("Airflow is not running here: start it with 'impartial airflow up'")
        )
    api = stack.api()
    if api.dag(dag_id, wait_s=60)["is_paused"]:
        api.unpause(dag_id)
        console.print(_("%(dag)s was paused: unpaused") % {"dag": dag_id})
    run_id = api.trigger(dag_id)
    console.print(
        _("triggered %(dag)s: run %(run)s  (%(url)s)")
        % {"dag": dag_id, "run": run_id, "url": f"{stack.url}/dags/{dag_id}"}
    )
    return api, run_id


def trigger_and_wait(home: Path, dag_id: str, *, timeout_s: float) -> RunOutcome:
    """Trigger ``dag_id`` on the Airflow started in ``home``, wait for its end, print it."""
    api, run_id = _trigger(home, dag_id)
    with console.status(_("waiting for %(dag)s") % {"dag": dag_id}) as spinner:
        outcome = api.wait(
            dag_id,
            run_id,
            timeout_s=timeout_s,
            progress=lambda o: spinner.update(f"{dag_id}: {o.state}"),
        )
    tasks = Table(_("task"), _("states"), title=f"{dag_id} {run_id}", title_justify="left")
    for task_id, states in outcome.tasks.items():
        tasks.add_row(task_id, _states(states))
    console.print(tasks)
    console.print(f"[bold]{escape(dag_id)}[/]: {escape(outcome.state)}", markup=True)
    return outcome


def _states(states: list[str]) -> str:
    if len(states) == 1:
        return states[0]
    counts = {state: states.count(state) for state in dict.fromkeys(states)}
    return ", ".join(f"{n} {state}" for state, n in counts.items())


def _print(stack: airflow_stack.Stack, alive: dict[str, bool], health: dict | None = None) -> None:
    processes = Table(_("process"), "pid", _("running"), _("log"), title_justify="left")
    processes.columns[-1].overflow = "fold"  # a path cut short is no use
    for name, proc in stack.processes.items():
        processes.add_row(name, str(proc.pid), _("yes") if alive.get(name) else _("NO"), proc.log)
    console.print(processes)
    if health:
        parts = [f"{name} {info.get('status')}" for name, info in health.items() if info]
        console.print(_("health: %(parts)s") % {"parts": ", ".join(parts)})
    ui, login = escape(_("Airflow UI:")), escape(_("login"))
    console.print(
        f"[bold]{ui}[/] {escape(stack.url)}   {login} [bold]admin[/] / "
        f"[bold]{escape(stack.password())}[/]   ({escape(stack.executor)})",
        markup=True,
    )


@contextmanager
def errors() -> Iterator[None]:
    with database_errors():
        try:
            yield
        except (airflow_stack.StackError, AirflowApiError) as exc:
            raise fail(str(exc), 1) from None


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="airflow")
