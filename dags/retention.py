"""
### Retention

Every day at 03:30 (America/Toronto), after the nightly scan: purge what consent or the
retention periods no longer allow. Post text of withdrawn or expired consents, unflagged posts
after `IMPARTIAL_RETENTION_UNFLAGGED_DAYS`, posts decided "no concern" after
`IMPARTIAL_RETENTION_NO_CONCERN_DAYS`, and information used in a decision two years (at least)
after its last use. People under a legal hold are skipped. Every purge is audited.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import dag, task

AT = "{{ (data_interval_end or dag_run.run_after).isoformat() }}"


@dag(
    dag_id="retention",
    schedule="30 3 * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="America/Toronto"),
    catchup=False,
    max_active_runs=1,
    default_args={
        "owner": "impartial",
        "retries": 2,
        "retry_delay": timedelta(minutes=5),
        "retry_exponential_backoff": 2.0,  # multiplier: 5 min, then 10 min
    },
    doc_md=__doc__,
    tags=["impartial", "privacy"],
)
def retention() -> None:
    @task
    def run_retention(at: str) -> dict:
        from pipeline.jobs import retention as job

        return job.run(at or None)

    run_retention(AT)


retention()
