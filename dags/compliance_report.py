"""
### Compliance reports

Every Monday at 06:00 (America/Toronto): run every report in `sql/reports/` for the past week
(the data interval) and write each as JSON to `$IMPARTIAL_DATA_DIR/reports/<from>_<to>/`.
The same reports run on demand with `impartial report`.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import dag, task

WEEK_END = "{{ (data_interval_end or dag_run.run_after).isoformat() }}"
WEEK_START = (
    "{{ ((data_interval_end or dag_run.run_after) - macros.timedelta(days=7)).isoformat() }}"
)


@dag(
    dag_id="compliance_report",
    schedule="0 6 * * 1",
    start_date=pendulum.datetime(2026, 1, 5, tz="America/Toronto"),
    catchup=False,
    max_active_runs=1,
    default_args={
        "owner": "impartial",
        "retries": 2,
        "retry_delay": timedelta(minutes=5),
        "retry_exponential_backoff": 2.0,  # multiplier: 5 min, then 10 min
    },
    doc_md=__doc__,
    tags=["impartial", "reports"],
)
def compliance_report() -> None:
    @task
    def run_reports(date_from: str, date_to: str) -> dict[str, str]:
        from pipeline.jobs import compliance_report as job

        return job.run(date_from, date_to)

    run_reports(WEEK_START, WEEK_END)


compliance_report()
