"""
### Scan deadline

Every hour, on the hour: once the day's deadline (`IMPARTIAL_SCAN_DEADLINE`, e.g. `06:00`, in
`IMPARTIAL_SCAN_DEADLINE_TIMEZONE`, America/Toronto by default) has passed, check that a scan
started that day ended `success` by then. If none did, alert the operators
(`IMPARTIAL_ALERT_EMAIL` through `IMPARTIAL_SMTP_URL`, `IMPARTIAL_ALERT_WEBHOOK`) once for that
day; the alert is recorded in the audit log (`scan.deadline_missed`). Airflow 3 has no SLAs:
this DAG stands in for one. With no deadline set, each run does nothing.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import RetryDecision, RetryPolicy, dag, task

# The end of the data interval; a run made without a logical date has none (Airflow leaves
# the name undefined, and its templates are strict): then when it was asked to run.
AT = "{{ (data_interval_end | default(dag_run.run_after, true)).isoformat() }}"


class FailFast(RetryPolicy):
    """Errors that a retry cannot fix fail the task at once (pipeline.jobs.failures)."""

    def evaluate(self, exception, try_number, max_tries, context=None) -> RetryDecision:
        from pipeline.jobs import failures

        reason = failures.retry_cannot_fix(exception)
        return RetryDecision.fail(reason) if reason else RetryDecision.default()


@dag(
    dag_id="scan_deadline",
    schedule="0 * * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="America/Toronto"),
    catchup=False,
    max_active_runs=1,
    default_args={
        "owner": "impartial",
        "retries": 2,
        "retry_delay": timedelta(minutes=2),
        "retry_exponential_backoff": 2.0,  # multiplier: 2 min, then 4 min
        "retry_policy": FailFast(),
    },
    doc_md=__doc__,
    tags=["impartial"],
)
def scan_deadline() -> None:
    @task(multiple_outputs=False)
    def check(at: str) -> dict:
        from pipeline.jobs import scan_deadline as job

        return job.check(at)

    check(AT)


scan_deadline()
