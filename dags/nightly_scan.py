"""
### Nightly scan

Every night at 02:00 (America/Toronto): fetch the new public posts of the registered accounts
that may be scanned (official accounts, and personal accounts whose owner consents), score them
against the guidance, and queue flags for human review.

| task | what it does |
| --- | --- |
| `plan_<platform>` | the platform's eligible accounts, grouped into one shard per source host |
| `ingest_<platform>` | one mapped task per shard, in the pool `impartial_<platform>` |
| `plan_assess` | cuts the posts to assess into partitions (`IMPARTIAL_ASSESS_PARTITIONS`) |
| `assess` | one mapped task per partition: embeds and scores its new and edited posts with the live classifier; creates flags |
| `queue` | groups the new flags for review, adds quality samples, checks official-language parity |
| `summarize` | writes the `scan_run` row of this data interval and logs its counts |
| `publish` | emits the `impartial://assessments` asset when posts were assessed |

The size of each pool caps the hosts of that platform fetched at once; within a host the
per-host rate limit (`IMPARTIAL_RATE_LIMITS`) applies.

A host that is down fails only its shard, at once (the connector has already retried it): the
other shards, the assessment and the queue go on, the run's `scan_run` row says `partial`, and
the run is marked failed so someone looks. Errors that a retry cannot fix (bad input or
settings, a template) fail their task at once; others are retried. A failed run leaves its
`scan_run` row `failed` (when no task wrote its end) and alerts the operators
(`IMPARTIAL_ALERT_EMAIL`, `IMPARTIAL_ALERT_WEBHOOK`).
Re-running a data interval is safe: posts are upserted, only unassessed posts are scored, and
the `scan_run` row is keyed by the interval (a re-run adds its counts to the row's).
A run triggered without a logical date (`airflow dags trigger`, the REST API) has no data
interval: it scans as of the moment it was asked to run, under its own key.

Configuration: the `IMPARTIAL_*` environment variables (see the README), e.g.
`IMPARTIAL_DATABASE_URL`, `IMPARTIAL_MODEL`, `IMPARTIAL_RATE_LIMITS`.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Asset, RetryDecision, RetryPolicy, dag, task

PLATFORMS = ("mastodon", "bluesky", "rss")  # = pipeline.vocabulary.PLATFORMS (tested)
ASSESSMENTS = Asset("impartial://assessments")
# The end of the data interval; a run made without a logical date has none (Airflow leaves
# the name undefined, and its templates are strict): then when it was asked to run.
AT = "{{ (data_interval_end | default(dag_run.run_after, true)).isoformat() }}"
# One key per data interval: re-running the interval adds to its scan_run row
# (pipeline.jobs.failures.run_key is its twin, for the failure callback).
RUN_KEY = "{{ dag.dag_id }}/" + AT


class FailFast(RetryPolicy):
    """Errors that a retry cannot fix fail the task at once (pipeline.jobs.failures)."""

    def evaluate(self, exception, try_number, max_tries, context=None) -> RetryDecision:
        from pipeline.jobs import failures

        reason = failures.retry_cannot_fix(exception)
        return RetryDecision.fail(reason) if reason else RetryDecision.default()


def run_failed(context) -> None:
    """Record the failed run in scan_run and alert the operators."""
    from pipeline.jobs import failures

    failures.run_failed(context)


def results(mapped) -> list:
    """A mapped task's results in one request (iterating asks for one past the end)."""
    return [] if mapped is None else list(mapped[:])


DEFAULT_ARGS = {
    "owner": "impartial",
    "retries": 2,
    "retry_delay": timedelta(minutes=2),
    "retry_exponential_backoff": 2.0,  # multiplier: 2 min, then 4 min (Airflow 3)
    "max_retry_delay": timedelta(minutes=30),
    "retry_policy": FailFast(),
}


@dag(
    dag_id="nightly_scan",
    schedule="0 2 * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="America/Toronto"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    dagrun_timeout=timedelta(hours=6),
    on_failure_callback=run_failed,
    doc_md=__doc__,
    tags=["impartial"],
)
def nightly_scan() -> None:
    @task
    def plan(run_key: str, at: str, platform: str) -> list[dict]:
        from pipeline.jobs import nightly_scan as job

        return job.plan(run_key, at, platform=platform)

    @task(multiple_outputs=False, max_active_tis_per_dagrun=16)
    def ingest(shard: dict, run_key: str) -> dict:
        from pipeline.jobs import nightly_scan as job

        return job.ingest_shard(shard, run_key)

    @task(trigger_rule="all_done")
    def plan_assess(run_key: str) -> list[dict]:
        from pipeline.jobs import assess_partitions as job

        return job.plan(run_key)

    @task(multiple_outputs=False, execution_timeout=timedelta(hours=3))
    def assess(partition: dict) -> dict:
        from pipeline.jobs import assess_partitions as job

        return job.assess_partition(partition)

    @task(multiple_outputs=False)
    def queue(run_key: str, assessed: list) -> dict:
        from pipeline.jobs import nightly_scan as job

        return job.enqueue(run_key)

    @task(multiple_outputs=False, trigger_rule="all_done", retries=0)
    def summarize(
        run_key: str, planned: list, ingested: list, assessed: list, queued: dict
    ) -> dict:
        from airflow.sdk.exceptions import AirflowFailException

        from pipeline.jobs import assess_partitions
        from pipeline.jobs import nightly_scan as job

        ingested = [results(lane) for lane in ingested]
        assessed = assess_partitions.combine(results(assessed))
        summary = job.summarize(run_key, planned, ingested, assessed, queued)
        if summary["status"] != "success":
            raise AirflowFailException(f"scan {summary['status']}: {summary}")
        return summary

    @task(outlets=[ASSESSMENTS], trigger_rule="all_done", retries=0)
    def publish(assessed: list, outlet_events=None) -> int:
        from airflow.sdk.exceptions import AirflowSkipException

        from pipeline.jobs import assess_partitions

        assessed = assess_partitions.combine(results(assessed), complete=False)
        if not assessed or not assessed.get("assessed"):
            raise AirflowSkipException("no post assessed: no asset event")
        outlet_events[ASSESSMENTS].extra = {
            "run_key": assessed["run_key"],
            "assessed": int(assessed["assessed"]),
        }
        return int(assessed["assessed"])

    # One lane per platform, so each platform's shards run in that platform's pool.
    planned = [plan.override(task_id=f"plan_{p}")(RUN_KEY, AT, p) for p in PLATFORMS]
    ingested = [
        ingest.override(task_id=f"ingest_{p}", pool=f"impartial_{p}")
        .partial(run_key=RUN_KEY)
        .expand(shard=shards)
        for p, shards in zip(PLATFORMS, planned, strict=True)
    ]
    partitions = plan_assess(RUN_KEY)
    ingested >> partitions
    assessed = assess.expand(partition=partitions)  # the queue waits for every partition
    queued = queue(RUN_KEY, assessed)
    summarize(RUN_KEY, planned, ingested, assessed, queued)
    publish(assessed)


nightly_scan()
