"""Runs made without a logical date (`airflow dags trigger`, the REST API): no data interval.

Airflow 3 leaves ``data_interval_end`` undefined in such a run, and its templates are strict, so
every templated value falls back to ``dag_run.run_after``. ``dag.test(logical_date=None)`` makes
such a run in-process.
"""

from __future__ import annotations

import runpy
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pendulum
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from pipeline.config import get_settings
from pipeline.db.models import ScanRun
from pipeline.demo import dataset
from pipeline.jobs import airflow_local, failures

RUN_AFTER = pendulum.datetime(2026, 3, 9, 7, 30, 12, tz="UTC")
INTERVAL_END = pendulum.datetime(2026, 3, 9, 7, 0, tz="UTC")
SCANNED_POSTS = sum(len(a.posts) for a in dataset.load().scanned_accounts())


def render(dag, template: str, **context) -> str:
    from airflow.sdk.execution_time import macros

    env = dag.get_template_env()
    return env.from_string(template).render(dag=dag, macros=macros, **context)


def templates(dag_id: str) -> dict:
    module = runpy.run_path(str(airflow_local.DAGS_FOLDER / f"{dag_id}.py"))
    return {
        name: value for name, value in module.items() if isinstance(value, str) and "{{" in value
    }


@pytest.mark.parametrize(
    "dag_id", ["nightly_scan", "retention", "compliance_report", "scan_deadline"]
)
def test_every_template_falls_back_to_run_after_without_a_data_interval(
    dagbag, dag_id: str
) -> None:
    dag = dagbag.dags[dag_id]
    found = templates(dag_id)
    assert found, "each DAG passes its moment as a template"
    manual = {"dag_run": SimpleNamespace(run_after=RUN_AFTER)}
    scheduled = {**manual, "data_interval_end": INTERVAL_END}
    for name, template in found.items():
        without = render(dag, template, **manual)
        within = render(dag, template, **scheduled)
        shift = timedelta(days=7) if name == "WEEK_START" else timedelta(0)
        assert (RUN_AFTER - shift).isoformat() in without, (name, without)
        assert (INTERVAL_END - shift).isoformat() in within, (name, within)


def test_the_failure_callback_computes_the_run_key_the_dag_renders(dagbag) -> None:
    dag = dagbag.dags["nightly_scan"]
    run_key = templates("nightly_scan")["RUN_KEY"]
    run = SimpleNamespace(run_after=RUN_AFTER)
    assert render(dag, run_key, dag_run=run) == failures.run_key(dag.dag_id, None, RUN_AFTER)
    assert render(dag, run_key, dag_run=run, data_interval_end=INTERVAL_END) == failures.run_key(
        dag.dag_id, INTERVAL_END, RUN_AFTER
    )


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("IMPARTIAL_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_retention_and_reports_run_without_a_logical_date(
    engine: sa.Engine, data_dir: Path, run_dag
) -> None:
    retention = run_dag("retention", expect="success", logical_date=None)
    assert retention.logical_date is None and retention.tasks == {"run_retention": ["success"]}

    report = run_dag("compliance_report", expect="success", logical_date=None)
    assert report.logical_date is None and report.tasks == {"run_reports": ["success"]}
    end = report.run_after
    folder = data_dir / "reports" / f"{end - timedelta(days=7):%Y-%m-%d}_{end:%Y-%m-%d}"
    assert sorted(p.stem for p in folder.glob("*.json")), f"nothing in {folder}"


def xcoms_per_task_instance(run_id: str) -> dict[tuple[str, int], int]:
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        rows = session.execute(
            sa.select(XComModel.task_id, XComModel.map_index, sa.func.count())
            .where(XComModel.run_id == run_id)
            .group_by(XComModel.task_id, XComModel.map_index)
        ).all()
    return {(task_id, index): n for task_id, index, n in rows}


@pytest.mark.model  # the assess step loads the real sentence-transformers model
def test_a_scan_without_a_logical_date_succeeds_quietly_with_one_xcom_per_task(
    engine: sa.Engine,
    demo_world: Session,
    run_dag,
    capfd: pytest.CaptureFixture[str],
) -> None:
    result = run_dag("nightly_scan", expect="success", logical_date=None)

    assert result.logical_date is None
    run = demo_world.scalar(sa.select(ScanRun))
    assert run.run_key == failures.run_key("nightly_scan", None, result.run_after)
    assert (run.status, run.new_posts) == ("success", SCANNED_POSTS)
    instances = sum(len(states) for states in result.tasks.values())
    pushed = xcoms_per_task_instance(result.run_id)
    assert len(pushed) == instances  # every task instance pushed ...
    assert set(pushed.values()) == {1}  # ... one XCom, not one per key of its dict
    output = capfd.readouterr()
    assert "XCom not found" not in output.out + output.err
