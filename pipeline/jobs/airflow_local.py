"""Run the project's DAGs once, in this process, through Airflow (``dag.test()``).

For the demo and the DAG tests: a private ``AIRFLOW_HOME`` with a SQLite metadata database,
migrated on first use, the pools the DAGs name, and ``dags/`` as the DAG folder. Airflow reads
its configuration when it is first imported, so :func:`use_home` must run before anything
imports ``airflow``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DAGS_FOLDER = Path(__file__).resolve().parents[2] / "dags"
# Pool per platform: how many hosts of that platform are fetched at once.
POOLS = {"impartial_mastodon": 4, "impartial_bluesky": 2, "impartial_rss": 8}


def airflow_environment(home: Path, dags_folder: Path = DAGS_FOLDER) -> dict[str, str]:
    """The variables that point Airflow at ``home`` (SQLite) and at the project's DAGs."""
    home = Path(home).resolve()
    return {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(Path(dags_folder).resolve()),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
    }


def use_home(home: Path, dags_folder: Path = DAGS_FOLDER) -> None:
    """Point this process's Airflow at ``home`` (call before ``airflow`` is imported)."""
    Path(home).mkdir(parents=True, exist_ok=True)
    os.environ.update(airflow_environment(home, dags_folder))


def migrate() -> None:
    """Create or upgrade the metadata database, then create the pools (both idempotent)."""
    from airflow.models.pool import Pool
    from airflow.utils import db

    db.initdb()
    for name, slots in POOLS.items():
        if Pool.get_pool(name) is None:
            Pool.create_or_update_pool(
                name, slots, f"Impartial: {name.removeprefix('impartial_')} hosts at once", False
            )


def load_dag(dag_id: str, dags_folder: Path = DAGS_FOLDER) -> Any:
    """Parse the DAG folder and return one DAG; raise if any file has an import error."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(dags_folder))
    if bag.import_errors:
        raise RuntimeError(f"DAG import errors: {bag.import_errors}")
    return bag.dags[dag_id]


# run_once's default: a logical date of now, as `dag.test()` gives (None: a run without one,
# as `airflow dags trigger` and the REST API make).
NOW: Any = object()


@dataclass
class RunResult:
    state: str
    tasks: dict[str, list[str]] = field(default_factory=dict)  # task id -> state per map index
    run_id: str = ""
    logical_date: Any = None
    run_after: Any = None


def run_once(dag_id: str, *, retries: int | None = None, logical_date: Any = NOW) -> RunResult:
    """Run one DAG run in this process and return its state and its tasks' states.

    ``retries=0`` makes a failing task fail at once instead of waiting out Airflow's retry
    delay (the demo and the tests want the outcome, not the retry timer). ``logical_date=None``
    makes a run without a logical date, hence without a data interval, as an operator's
    trigger does.
    """
    from airflow.utils.session import create_session

    dag = load_dag(dag_id)
    if retries is not None:
        for task in dag.tasks:
            task.retries = retries
    kwargs = {} if logical_date is NOW else {"logical_date": logical_date}
    run = dag.test(**kwargs)
    tasks: dict[str, list[str]] = {}
    with create_session() as session:
        for ti in sorted(run.get_task_instances(session=session), key=lambda t: t.map_index):
            tasks.setdefault(ti.task_id, []).append(str(ti.state))
    return RunResult(
        state=str(run.state),
        tasks=tasks,
        run_id=run.run_id,
        logical_date=run.logical_date,
        run_after=run.run_after,
    )
