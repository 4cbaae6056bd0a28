"""Airflow for the DAG tests: a private AIRFLOW_HOME with a SQLite metadata database.

Airflow reads its configuration when it is first imported, so the home is chosen when this
file is imported (before any test module imports ``airflow``); the metadata database is
migrated once per session (about 2 s), and ``run_dag`` runs one DAG run with ``dag.test()``.
"""

from __future__ import annotations

import atexit
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from pipeline.demo import dataset, platforms, seed
from pipeline.jobs import airflow_local

if "airflow" in sys.modules:  # pragma: no cover - a guard, not a code path
    raise RuntimeError("airflow was imported before tests/jobs/conftest.py could configure it")

DEMO = dataset.load()
AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="impartial-airflow-"))
atexit.register(shutil.rmtree, AIRFLOW_HOME, ignore_errors=True)
airflow_local.use_home(AIRFLOW_HOME)


@pytest.fixture(scope="session")
def airflow_db() -> Iterator[Path]:
    """The migrated metadata database (with the project's pools); removed after the session."""
    airflow_local.migrate()
    yield AIRFLOW_HOME
    shutil.rmtree(AIRFLOW_HOME, ignore_errors=True)


@pytest.fixture(scope="session")
def dagbag(airflow_db: Path):
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(airflow_local.DAGS_FOLDER))


@pytest.fixture
def run_dag(airflow_db: Path) -> Callable[..., airflow_local.RunResult]:
    """Run a DAG once in-process (retries off) and assert the state the run ended in."""

    def run(dag_id: str, *, expect: str, **kwargs) -> airflow_local.RunResult:
        result = airflow_local.run_once(dag_id, retries=0, **kwargs)
        assert result.state == expect, f"{dag_id} ended {result.state}: {result.tasks}"
        return result

    return run


@pytest.fixture
def demo_world(engine: sa.Engine) -> Iterator[Session]:
    """The demo registry, its posts served by the fake platforms for the test's duration."""
    with platforms.serve(DEMO) as addresses, Session(engine) as session:
        seed.seed(session, DEMO, addresses)
        session.commit()
        yield session
