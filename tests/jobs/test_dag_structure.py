"""The DAG files import cleanly and have the shape the operations rely on."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pipeline.vocabulary import PLATFORMS

DAG_IDS = {"nightly_scan", "retention", "compliance_report", "scan_deadline"}


def test_every_dag_file_imports_without_errors(dagbag) -> None:
    assert dagbag.import_errors == {}
    assert set(dagbag.dag_ids) == DAG_IDS


def test_dag_files_import_nothing_heavy_at_parse_time() -> None:
    import subprocess
    import sys

    from pipeline.jobs import airflow_local

    code = (
        "import sys, runpy, pathlib\n"
        f"for f in sorted(pathlib.Path({str(airflow_local.DAGS_FOLDER)!r}).glob('*.py')):\n"
        "    runpy.run_path(str(f))\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in"
        " ('torch', 'sentence_transformers', 'psycopg2', 'pipeline', 'requests')]\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize("dag_id", sorted(DAG_IDS))
def test_dags_are_documented_scheduled_in_toronto_without_catchup(dagbag, dag_id: str) -> None:
    dag = dagbag.dags[dag_id]
    assert dag.catchup is False
    assert dag.doc_md and dag.doc_md.strip().startswith("###")
    assert str(dag.timetable.timezone.name) == "America/Toronto"
    for task in dag.tasks:
        if task.task_id not in ("summarize", "publish"):
            assert task.retries >= 2, task.task_id
            assert task.retry_exponential_backoff >= 2  # a multiplier: True would mean 1.0


def test_schedules_are_nightly_daily_and_weekly(dagbag) -> None:
    assert dagbag.dags["nightly_scan"].timetable.expression == "0 2 * * *"
    assert dagbag.dags["retention"].timetable.expression == "30 3 * * *"
    assert dagbag.dags["compliance_report"].timetable.expression == "0 6 * * 1"
    assert dagbag.dags["scan_deadline"].timetable.expression == "0 * * * *"  # hourly check


def test_nightly_scan_runs_plan_ingest_assess_queue_summarize(dagbag) -> None:
    dag = dagbag.dags["nightly_scan"]
    lanes = [(f"plan_{p}", f"ingest_{p}") for p in PLATFORMS]
    assert set(dag.task_ids) == {
        *(t for lane in lanes for t in lane),
        "plan_assess",
        "assess",
        "queue",
        "summarize",
        "publish",
    }
    for plan, ingest in lanes:
        assert dag.task_dict[ingest].upstream_task_ids == {plan}
    assert dag.task_dict["plan_assess"].upstream_task_ids == {ingest for _, ingest in lanes}
    assert dag.task_dict["assess"].upstream_task_ids == {"plan_assess"}
    assert dag.task_dict["queue"].upstream_task_ids == {"assess"}
    assert {"assess", "queue", *(i for _, i in lanes)} <= dag.task_dict[
        "summarize"
    ].upstream_task_ids
    assert dag.task_dict["publish"].upstream_task_ids == {"assess"}
    assert {t.task_id for t in dag.leaves} == {"summarize", "publish"}


def test_ingest_is_mapped_over_shards_in_one_pool_per_platform(dagbag) -> None:
    from airflow.sdk.definitions.mappedoperator import MappedOperator

    dag = dagbag.dags["nightly_scan"]
    for platform in PLATFORMS:
        ingest = dag.task_dict[f"ingest_{platform}"]
        assert isinstance(ingest, MappedOperator)
        assert ingest.pool == f"impartial_{platform}"
        expanded = ingest._get_specified_expand_input().value
        assert set(expanded) == {"shard"}
        assert expanded["shard"].operator.task_id == f"plan_{platform}"
        assert set(ingest.partial_kwargs["op_kwargs"]) == {"run_key"}


def test_assess_is_mapped_over_the_planned_partitions_and_the_queue_waits_for_all(
    dagbag,
) -> None:
    from airflow.sdk.definitions.mappedoperator import MappedOperator

    dag = dagbag.dags["nightly_scan"]
    assess = dag.task_dict["assess"]
    assert isinstance(assess, MappedOperator)
    expanded = assess._get_specified_expand_input().value
    assert set(expanded) == {"partition"}
    assert expanded["partition"].operator.task_id == "plan_assess"
    assert assess.trigger_rule == "all_success"  # a partition runs only on a finished plan
    assert assess.multiple_outputs is False  # one XCom per partition
    # every partition must succeed before flags are grouped
    assert dag.task_dict["queue"].trigger_rule == "all_success"
    assert dag.task_dict["queue"].upstream_task_ids == {"assess"}


def test_a_failed_shard_does_not_stop_assessment_or_the_summary(dagbag) -> None:
    dag = dagbag.dags["nightly_scan"]
    assert dag.task_dict["plan_assess"].trigger_rule == "all_done"
    assert dag.task_dict["summarize"].trigger_rule == "all_done"
    assert dag.task_dict["queue"].trigger_rule == "all_success"


def test_backoff_is_bounded(dagbag) -> None:
    task = dagbag.dags["nightly_scan"].task_dict["plan_rss"]
    assert task.retry_delay == timedelta(minutes=2)
    assert task.max_retry_delay == timedelta(minutes=30)


def test_assessments_asset_is_emitted_by_publish_only(dagbag) -> None:
    from airflow.sdk import Asset

    dag = dagbag.dags["nightly_scan"]
    outlets = {t.task_id: t.outlets for t in dag.tasks if t.outlets}
    assert outlets == {"publish": [Asset("impartial://assessments")]}


def test_platforms_of_the_dag_match_the_data_model() -> None:
    import runpy

    from pipeline.jobs import airflow_local

    module = runpy.run_path(str(airflow_local.DAGS_FOLDER / "nightly_scan.py"))
    assert module["PLATFORMS"] == PLATFORMS
    assert set(airflow_local.POOLS) == {f"impartial_{p}" for p in PLATFORMS}


@pytest.mark.parametrize("dag_id", sorted(DAG_IDS))
def test_every_task_pushes_one_xcom_not_one_per_key(dagbag, dag_id: str) -> None:
    for task in dagbag.dags[dag_id].tasks:
        assert task.multiple_outputs is False, task.task_id


@pytest.mark.parametrize("dag_id", sorted(DAG_IDS))
def test_errors_a_retry_cannot_fix_fail_at_once_and_the_others_are_retried(
    dagbag, dag_id: str
) -> None:
    import jinja2
    import pydantic
    from airflow.sdk import RetryAction
    from sqlalchemy.exc import OperationalError

    from pipeline.errors import InputError
    from pipeline.jobs.nightly_scan import ShardFailedError
    from pipeline.jobs.scan_lease import ScanRunningError

    class Port(pydantic.BaseModel):
        port: int

    try:
        Port(port="not a port")
    except pydantic.ValidationError as exc:
        bad_setting = exc
    deterministic = [
        InputError("a real run as of a future date is refused"),
        bad_setting,
        jinja2.UndefinedError("'data_interval_end' is undefined"),
        ShardFailedError("shard mastodon http://down: all 3 accounts failed"),
    ]
    transient = [
        OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused")),
        ScanRunningError("nightly_scan/2026-03-09T07:00:00+00:00", None),
        TimeoutError("read timed out"),
    ]
    for task in dagbag.dags[dag_id].tasks:
        policy = task.retry_policy
        for exc in deterministic:
            assert policy.evaluate(exc, 1, 3).action == RetryAction.FAIL, (task.task_id, exc)
        for exc in transient:
            assert policy.evaluate(exc, 1, 3).action == RetryAction.DEFAULT, (task.task_id, exc)


def test_a_failed_run_calls_the_failure_callback(dagbag) -> None:
    for dag_id in ("nightly_scan", "retention", "compliance_report"):
        callback = dagbag.dags[dag_id].on_failure_callback
        assert callback is not None and callback.__name__ == "run_failed", dag_id
