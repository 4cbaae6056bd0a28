"""The DAG files import cleanly and have the shape the operations rely on."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pipeline.vocabulary import PLATFORMS

DAG_IDS = {"nightly_scan", "retention", "compliance_report"}


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


def test_nightly_scan_runs_plan_ingest_assess_queue_summarize(dagbag) -> None:
    dag = dagbag.dags["nightly_scan"]
    lanes = [(f"plan_{p}", f"ingest_{p}") for p in PLATFORMS]
    assert set(dag.task_ids) == {
        *(t for lane in lanes for t in lane),
        "assess",
        "queue",
        "summarize",
        "publish",
    }
    for plan, ingest in lanes:
        assert dag.task_dict[ingest].upstream_task_ids == {plan}
    assert dag.task_dict["assess"].upstream_task_ids == {ingest for _, ingest in lanes}
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


def test_a_failed_shard_does_not_stop_assessment_or_the_summary(dagbag) -> None:
    dag = dagbag.dags["nightly_scan"]
    assert dag.task_dict["assess"].trigger_rule == "all_done"
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
