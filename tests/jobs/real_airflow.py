"""A real Airflow for a test module (``airflow_stack.up``), and what its tests do with it.

:func:`started` gives the stack its own metadata database on the test server and its own data
folder, and removes both after stopping it; :func:`trigger` runs ``impartial airflow trigger
DAG --wait`` as an operator does (no logical date).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psutil
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.config import get_settings
from pipeline.jobs import airflow_stack
from pipeline.jobs.airflow_api import RunOutcome

WIDE = {"COLUMNS": "250"}  # one line per message, so the run id can be read back


@contextmanager
def started(
    admin_database_url: str, env: dict[str, str] | None = None, **up: Any
) -> Iterator[airflow_stack.Stack]:
    """A stack started with ``up`` (and ``env`` in the environment), its metadata in a
    database of its own; stopped, and the database and folder removed, at the end."""
    name = f"airflow_{secrets.token_hex(4)}"
    server = sa.create_engine(admin_database_url, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    folder = tempfile.mkdtemp(prefix="impartial-stack-")
    overrides = {
        "IMPARTIAL_DATA_DIR": folder,
        "IMPARTIAL_AIRFLOW_DATABASE_URL": make_url(admin_database_url)
        .set(database=name)
        .render_as_string(hide_password=False),
        **(env or {}),
    }
    previous = {key: os.environ.get(key) for key in overrides}
    os.environ.update(overrides)
    get_settings.cache_clear()
    try:
        yield airflow_stack.up(**up)
    finally:
        airflow_stack.down(airflow_stack.home())
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        get_settings.cache_clear()
        with server.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        server.dispose()
        shutil.rmtree(folder, ignore_errors=True)


def trigger(
    stack: airflow_stack.Stack, dag_id: str, expect_exit: int = 0
) -> tuple[RunOutcome, str]:
    """``impartial airflow trigger DAG --wait``; the run's outcome as the REST API tells it."""
    result = CliRunner().invoke(
        app, ["airflow", "trigger", dag_id, "--wait", "--timeout", "400"], env=WIDE
    )
    assert result.exit_code == expect_exit, result.output
    run_id = re.search(rf"triggered {dag_id}: run (\S+)", result.output)[1]
    assert not run_id.startswith("scheduled__")
    return stack.api().outcome(dag_id, run_id), result.output


def counts(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            table: conn.scalar(sa.text(f"SELECT count(*) FROM {table}"))
            for table in ("post", "assessment", "flag", "embedding")
        }


def family(stack: airflow_stack.Stack) -> list[psutil.Process]:
    """Every process the stack started, and every process they started."""
    ours = [psutil.Process(p.pid) for p in stack.processes.values()]
    return ours + [child for proc in ours for child in proc.children(recursive=True)]


def still_running(processes: list[psutil.Process]) -> list[psutil.Process]:
    left = []
    for proc in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
                left.append(proc)
    return left
