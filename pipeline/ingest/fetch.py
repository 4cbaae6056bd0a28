"""Fetch new public posts of eligible accounts; store each batch and its cursor in one transaction.

Hosts are fetched concurrently (one thread per host, up to ``Settings.ingest_workers``); one
host's requests go in sequence through its rate limiter. Every batch is stored in one
transaction together with the account's cursor (``pipeline.ingest.store``), after re-checking
that the account is still eligible: a consent withdrawn during the run stops storage for that
account at once. Re-running never duplicates; changed text counts as an edit. An account that
cannot be read keeps its failure, by kind (``pipeline.ingest.failures``), and the scan lists it.

A ``stop`` event (set on Ctrl-C) ends fetching at once: it is checked before each account and
after each stored batch, so what was fetched is kept and nothing more is asked for.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pipeline import clock
from pipeline.config import Settings, get_settings
from pipeline.db.engine import get_engine
from pipeline.db.models import Account, SourceCursor
from pipeline.ingest.failures import NOT_FOUND, Failure, classify, host_down
from pipeline.ingest.sources.base import AccountState, Batch, OptedOut
from pipeline.ingest.sources.connectors import connector_for
from pipeline.ingest.sources.http import HostClient, HttpError
from pipeline.ingest.store import IngestSummary, store_batch, store_failure
from pipeline.registry import consent

__all__ = ["IngestSummary", "ingest_accounts", "plan_shards"]

log = logging.getLogger(__name__)
Progress = Callable[[int], None]
HOST_DOWN_AFTER = 3  # accounts in a row without any answer (refused, reset, timed out)


def plan_shards(session: Session, at: datetime | None = None) -> list[dict[str, Any]]:
    """Eligible accounts grouped by (platform, host), as JSON-able shards for fan-out."""
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for account in consent.eligible_accounts(session, at):
        groups[(account.platform, account.host)].append(account.id)
    return [
        {"platform": platform, "host": host, "account_ids": ids}
        for (platform, host), ids in sorted(groups.items())
    ]


def ingest_accounts(
    account_ids: Iterable[int],
    *,
    settings: Settings | None = None,
    progress: Progress | None = None,
    engine: sa.Engine | None = None,
    stop: threading.Event | None = None,
) -> IngestSummary:
    """Fetch and store new posts of the given accounts that are eligible now.

    ``progress`` is called with 1 after each account; ``stop``, once set, ends fetching after
    the batch in hand (the accounts not reached are left out of the summary).
    """
    stop = stop or threading.Event()
    settings = settings or get_settings()
    engine = engine or get_engine(settings)
    wanted = set(account_ids)
    summary = IngestSummary()
    with Session(engine) as session:
        eligible = {a.id for a in consent.eligible_accounts(session) if a.id in wanted}
        states = _states(session, sorted(eligible), settings)
    if wanted - eligible:
        summary.skipped["not_eligible"] += len(wanted - eligible)
        if progress:
            progress(len(wanted - eligible))
    by_host: dict[tuple[str, str], list[AccountState]] = defaultdict(list)
    for state in states:
        by_host[(state.platform, state.host)].append(state)
    if not by_host or stop.is_set():
        return summary
    workers = min(settings.ingest_workers, len(by_host))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ingest") as pool:
        futures = [
            pool.submit(_ingest_host, engine, settings, platform, host, group, progress, stop)
            for (platform, host), group in by_host.items()
        ]
        for future in futures:
            summary.add(future.result())
    return summary


def _states(session: Session, ids: list[int], settings: Settings) -> list[AccountState]:
    if not ids:
        return []
    due_before = clock.now() - timedelta(hours=settings.profile_refresh_hours)
    rows = session.execute(
        sa.select(Account, SourceCursor)
        .outerjoin(SourceCursor, SourceCursor.account_id == Account.id)
        .where(Account.id.in_(ids))
        .order_by(Account.id)
    )
    return [
        AccountState(
            account_id=account.id,
            platform=account.platform,
            host=account.host,
            handle=account.handle,
            external_id=account.external_id,
            cursor=cursor.cursor if cursor else None,
            etag=cursor.etag if cursor else None,
            last_modified=cursor.last_modified if cursor else None,
            profile_due=not (
                cursor and cursor.profile_fetched_at and cursor.profile_fetched_at > due_before
            ),
        )
        for account, cursor in rows
    ]


def _ingest_host(
    engine: sa.Engine,
    settings: Settings,
    platform: str,
    host: str,
    states: list[AccountState],
    progress: Progress | None,
    stop: threading.Event,
) -> IngestSummary:
    """One host's accounts in sequence; transient failures are tried once more at the end,
    permanent ones are not (``pipeline.ingest.failures``).

    After ``HOST_DOWN_AFTER`` accounts in a row get no answer at all (connection refused or
    reset, timeouts) the host is taken as down for this run: its remaining accounts are
    counted as failures, not tried. Any answer, even an error, resets the count.
    """
    summary = IngestSummary()
    client = HostClient(host, platform, settings)
    connector = connector_for(platform)
    pending, down, unanswered = states, None, 0
    earlier: dict[int, Failure] = {}  # a first try's failure, kept if the host goes down

    def finish(state: AccountState, failure: Failure | None) -> None:
        summary.accounts += 1
        if failure is not None:
            _record(engine, summary, state, failure)
        if progress:
            progress(1)

    try:
        for last_pass in (False, True):
            retry: list[AccountState] = []
            for state in pending:
                if stop.is_set():
                    break
                if down is not None:
                    finish(state, earlier.get(state.account_id, down))
                    continue
                failure = _ingest_account(engine, settings, client, connector, state, summary, stop)
                unanswered = unanswered + 1 if failure and failure.unreachable else 0
                if unanswered >= HOST_DOWN_AFTER:
                    down = host_down(_host_label(host), HOST_DOWN_AFTER)
                if failure is None or failure.permanent or last_pass or down:
                    finish(state, failure)
                else:
                    earlier[state.account_id] = failure
                    retry.append(state)
            if not retry or stop.is_set():
                break
            with Session(engine) as session:  # resume from what was committed
                pending = _states(session, [s.account_id for s in retry], settings)
    finally:
        summary.requests += client.requests
        summary.http_429 += client.http_429
        client.close()
    return summary


def _host_label(host: str) -> str:
    return host.split("://", 1)[-1]


def _record(
    engine: sa.Engine, summary: IngestSummary, state: AccountState, failure: Failure
) -> None:
    """Count a failed account, list it, and keep the failure on the account."""
    summary.errors[_host_label(state.host)] += 1
    summary.errors_by_kind[str(failure.kind)] += 1
    summary.failures.append(failure.as_listed(state.account_id, state.platform, state.host))
    store_failure(engine, state.account_id, failure.as_error(clock.now()))
    log.warning(
        "ingest failed for account %s on %s (%s, HTTP %s): %s",
        state.account_id,
        state.host,
        failure.kind,
        failure.http_status or "-",
        failure.reason,
    )


def _ingest_account(
    engine: sa.Engine,
    settings: Settings,
    client: HostClient,
    connector: Any,
    state: AccountState,
    summary: IngestSummary,
    stop: threading.Event,
) -> Failure | None:
    """Fetch and store one account; return its failure, or None."""
    try:
        for batch in connector.fetch(client, state):
            if not store_batch(engine, settings, state, batch, summary):
                summary.skipped["consent_withdrawn"] += 1
                return None
            if stop.is_set():  # the next page waits for the next scan, from this cursor
                return None
    except OptedOut:
        summary.skipped["opted_out"] += 1
        store_batch(engine, settings, state, Batch(status="opted_out"), summary)
        return None
    except Exception as exc:  # one account's failure never stops the scan
        failure = classify(exc)
        if isinstance(exc, HttpError) and exc.status in NOT_FOUND:
            # gone or renamed: skipped, not failed; listed so the registry gets corrected
            summary.skipped["account_not_found"] += 1
            summary.failures.append(failure.as_listed(state.account_id, state.platform, state.host))
            store_failure(
                engine, state.account_id, failure.as_error(clock.now()), status="not_found"
            )
            return None
        return failure
    return None
