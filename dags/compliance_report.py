"""
### Compliance reports

Every Monday at 06:00 (America/Toronto): run every report in `sql/reports/` for the past week
(the data interval) and write each as JSON to `$IMPARTIAL_DATA_DIR/reports/<from>_<to>/`.
The same reports run on demand with `impartial report`. A run triggered without a logical date
covers the week before the moment it was asked to run. Errors that a retry cannot fix fail at
once; a failed run alerts the operators.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import RetryDecision, RetryPolicy, dag, task

# The end of the data interval; a run made without a logical date has none (Airflow leaves
# the name undefined, and its templates are strict): then when it was asked to run.
END = "(data_interval_end | default(dag_run.run_after, true))"
WEEK_END = "{{ " + END + ".isoformat() }}"
WEEK_START = "{{ (" + END + " - macros.timedelta(days=7)).isoformat() }}"


class FailFast(RetryPolicy):
    """Errors that a retry cannot fix fail the task at once (pipeline.jobs.failures)."""

    def evaluate(self, exception, try_number, max_tries, context=None) -> RetryDecision:
        from pipeline.jobs import failures

        reason = failures.retry_cannot_fix(exception)
        return RetryDecision.fail(reason) if reason else RetryDecision.default()


def run_failed(context) -> None:
    """Alert the operators."""
    from pipeline.jobs import failures

    failures.run_failed(context)


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
        "retry_policy": FailFast(),
    },
    on_failure_callback=run_failed,
    doc_md=__doc__,
    tags=["impartial", "reports"],
)
def compliance_report() -> None:
    @task(multiple_outputs=False)
    def run_reports(date_from: str, date_to: str) -> dict[str, str]:
        from pipeline.jobs import compliance_report as job

        return job.run(date_from, date_to)

    run_reports(WEEK_START, WEEK_END)


compliance_report()
