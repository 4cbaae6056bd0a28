"""The retention and compliance_report DAGs, run once through Airflow against the test DB."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from pipeline.config import get_settings
from pipeline.jobs import compliance_report


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("IMPARTIAL_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_retention_dag_runs_the_retention(engine: sa.Engine, run_dag) -> None:
    result = run_dag("retention", expect="success")
    assert result.tasks == {"run_retention": ["success"]}


def test_compliance_report_dag_writes_every_report_of_the_week(
    engine: sa.Engine, data_dir: Path, run_dag
) -> None:
    names = compliance_report.report_names()
    assert names, "sql/reports/ holds the reports"
    result = run_dag(
        "compliance_report", expect="success", logical_date=datetime(2026, 3, 9, 11, tzinfo=UTC)
    )
    assert result.tasks == {"run_reports": ["success"]}
    folder = data_dir / "reports" / "2026-03-02_2026-03-09"
    assert sorted(p.stem for p in folder.glob("*.json")) == names
    for path in folder.glob("*.json"):
        json.loads(path.read_text())
    with engine.connect() as conn:
        exported = conn.execute(
            sa.text(
                "SELECT subject_id FROM audit_event WHERE action = 'report.export' AND actor = :a"
            ),
            {"a": compliance_report.ACTOR},
        ).scalars()
        assert sorted(exported) == names  # each report written is an audited export
