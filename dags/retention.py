"""
### Retention

Every day at 03:30 (America/Toronto), after the nightly scan: purge what consent or the
retention periods no longer allow. Post text of withdrawn or expired consents, unflagged posts
after `IMPARTIAL_RETENTION_UNFLAGGED_DAYS`, posts decided "no concern" after
`IMPARTIAL_RETENTION_NO_CONCERN_DAYS`, and information used in a decision two years (at least)
after its last use. People under a legal hold are skipped. Every purge is audited.
A run triggered without a logical date purges as of the moment it was asked to run. Errors
that a retry cannot fix fail at once; a failed run alerts the operators.
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


def run_failed(context) -> None:
    """Alert the operators."""
    from pipeline.jobs import failures

    failures.run_failed(context)


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
        "retry_policy": FailFast(),
    },
    on_failure_callback=run_failed,
    doc_md=__doc__,
    tags=["impartial", "privacy"],
)
def retention() -> None:
    @task(multiple_outputs=False)
    def run_retention(at: str) -> dict:
        from pipeline.jobs import retention as job

        return job.run(at or None)

    run_retention(AT)


retention()
