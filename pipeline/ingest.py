"""Fetch new public posts of eligible accounts; store each batch and its cursor in one transaction.

Hosts are fetched concurrently (one thread per host, up to ``Settings.ingest_workers``); one
host's requests go in sequence through its rate limiter. Every batch is stored in one
transaction together with the account's cursor, after re-checking in that same transaction
(with the consent rows locked) that the account is still eligible: a consent withdrawn during
the run stops storage for that account at once. Re-running never duplicates: posts are
upserted on (account, external id), and changed text (a new content hash) counts as an edit.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from pipeline import registry
from pipeline.config import Settings, get_settings
from pipeline.db.engine import get_engine
from pipeline.db.models import Account, Consent, Post, SourceCursor
from pipeline.sources import AccountState, Batch, OptedOut, connector_for
from pipeline.sources.http import HostClient
from pipeline.sources.text import TRUNCATION_MARKER, clean, content_hash

log = logging.getLogger(__name__)
Progress = Callable[[int], None]


@dataclass
class IngestSummary:
    accounts: int = 0
    requests: int = 0
    new_posts: int = 0
    edits: int = 0
    http_429: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)

    def add(self, other: IngestSummary) -> None:
        self.accounts += other.accounts
        self.requests += other.requests
        self.new_posts += other.new_posts
        self.edits += other.edits
        self.http_429 += other.http_429
        self.skipped.update(other.skipped)
        self.errors.update(other.errors)

    def as_dict(self) -> dict[str, Any]:
        return {
            "accounts": self.accounts,
            "requests": self.requests,
            "new_posts": self.new_posts,
            "edits": self.edits,
            "http_429": self.http_429,
            "skipped": dict(sorted(self.skipped.items())),
            "errors": dict(sorted(self.errors.items())),
        }


def plan_shards(session: Session, at: datetime | None = None) -> list[dict[str, Any]]:
    """Eligible accounts grouped by (platform, host), as JSON-able shards for fan-out."""
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for account in registry.eligible_accounts(session, at):
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
) -> IngestSummary:
    """Fetch and store new posts of the given accounts that are eligible now.

    ``progress`` is called with 1 after each account.
    """
    settings = settings or get_settings()
    engine = engine or get_engine(settings)
    wanted = set(account_ids)
    summary = IngestSummary()
    with Session(engine) as session:
        eligible = {a.id for a in registry.eligible_accounts(session) if a.id in wanted}
        states = _states(session, sorted(eligible), settings)
    if wanted - eligible:
        summary.skipped["not_eligible"] += len(wanted - eligible)
        if progress:
            progress(len(wanted - eligible))
    by_host: dict[tuple[str, str], list[AccountState]] = defaultdict(list)
    for state in states:
        by_host[(state.platform, state.host)].append(state)
    if not by_host:
        return summary
    workers = min(settings.ingest_workers, len(by_host))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ingest") as pool:
        futures = [
            pool.submit(_ingest_host, engine, settings, platform, host, group, progress)
            for (platform, host), group in by_host.items()
        ]
        for future in futures:
            summary.add(future.result())
    return summary


def _states(session: Session, ids: list[int], settings: Settings) -> list[AccountState]:
    if not ids:
        return []
    due_before = registry.now() - timedelta(hours=settings.profile_refresh_hours)
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
) -> IngestSummary:
    """One host's accounts in sequence; accounts that fail are tried once more at the end."""
    summary = IngestSummary()
    client = HostClient(host, platform, settings)
    connector = connector_for(platform)
    try:
        pending = states
        for last_pass in (False, True):
            failed: list[AccountState] = []
            for state in pending:
                error = _ingest_account(engine, settings, client, connector, state, summary)
                if error is None or last_pass:
                    summary.accounts += 1
                    if error is not None:
                        summary.errors[_host_label(host)] += 1
                        log.warning(
                            "ingest failed for account %s on %s: %s", state.account_id, host, error
                        )
                    if progress:
                        progress(1)
                else:
                    failed.append(state)
            if not failed:
                break
            with Session(engine) as session:  # resume from what was committed
                pending = _states(session, [s.account_id for s in failed], settings)
    finally:
        summary.requests += client.requests
        summary.http_429 += client.http_429
        client.close()
    return summary


def _host_label(host: str) -> str:
    return host.split("://", 1)[-1]


def _ingest_account(
    engine: sa.Engine,
    settings: Settings,
    client: HostClient,
    connector: Any,
    state: AccountState,
    summary: IngestSummary,
) -> str | None:
    """Fetch and store one account; return an error description, or None."""
    try:
        for batch in connector.fetch(client, state):
            if not _store(engine, settings, state, batch, summary):
                summary.skipped["consent_withdrawn"] += 1
                return None
    except OptedOut:
        summary.skipped["opted_out"] += 1
        _store(engine, settings, state, Batch(status="opted_out"), summary)
        return None
    except Exception as exc:  # one account's failure never stops the scan
        return f"{type(exc).__name__}: {exc}"
    return None


def _still_eligible(session: Session, account_id: int) -> bool:
    """Checked inside the storing transaction, with the owner's consent rows share-locked,
    so a withdrawal either commits first (and we store nothing) or waits for us."""
    row = session.execute(
        sa.select(Account.kind, Account.active, Account.owner_id)
        .where(Account.id == account_id)
        .with_for_update(read=True)
    ).one_or_none()
    if row is None or not row.active:
        return False
    if row.kind == "official":
        return True
    session.execute(
        sa.select(Consent.id).where(Consent.person_id == row.owner_id).with_for_update(read=True)
    )
    query = sa.select(Account.id).where(
        Account.id == account_id, registry.active_consent_clause(registry.now())
    )
    return session.scalar(query) is not None


def _rows(
    state: AccountState, batch: Batch, settings: Settings, summary: IngestSummary
) -> list[dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for post in batch.posts:
        text = clean(post.text, settings.max_post_chars)
        external_id = clean(post.external_id, 512)
        if not text:
            summary.skipped["no_text"] += 1
            continue
        if external_id in rows:
            summary.skipped["duplicate_item"] += 1
            continue
        meta = {k: v for k, v in post.meta.items() if v is not None}
        if text.endswith(TRUNCATION_MARKER):
            meta["truncated"] = True
        rows[external_id] = {
            "account_id": state.account_id,
            "external_id": external_id,
            "url": clean(post.url, 4000) if post.url else None,
            "text": text,
            "lang": clean(post.lang, 16) or None if post.lang else None,
            "content_hash": content_hash(text),
            "published_at": post.published_at,
            "edited_at": post.edited_at,
            "meta": meta,
        }
    return list(rows.values())


def _store(
    engine: sa.Engine, settings: Settings, state: AccountState, batch: Batch, summary: IngestSummary
) -> bool:
    summary.skipped.update(batch.skipped)
    rows = _rows(state, batch, settings, summary)
    with Session(engine) as session:
        if not _still_eligible(session, state.account_id):
            return False
        if rows:
            stmt = insert(Post).values(rows)
            stmt = stmt.on_conflict_do_update(
                index_elements=[Post.account_id, Post.external_id],
                set_={
                    "text": stmt.excluded.text,
                    "content_hash": stmt.excluded.content_hash,
                    "edited_at": stmt.excluded.edited_at,
                    "lang": stmt.excluded.lang,
                    "url": stmt.excluded.url,
                    "meta": stmt.excluded.meta,
                    "fetched_at": sa.func.now(),
                },
                # unchanged text is not rewritten; a purged text is never brought back
                where=sa.and_(
                    Post.content_hash != stmt.excluded.content_hash, Post.text_purged_at.is_(None)
                ),
            ).returning(sa.literal_column("(xmax = 0)"))
            inserted = [flag for (flag,) in session.execute(stmt)]
            summary.new_posts += sum(inserted)
            summary.edits += len(inserted) - sum(inserted)
        values: dict[str, Any] = {
            "last_fetched_at": sa.func.now(),
            "last_status": batch.status,
            "updated_at": sa.func.now(),
            "etag": batch.etag,
            "last_modified": batch.last_modified,
        }
        if not batch.keep_cursor:
            values["cursor"] = batch.cursor
        if batch.profile_fetched:
            values["profile_fetched_at"] = sa.func.now()
        upsert = insert(SourceCursor).values(account_id=state.account_id, **values)
        session.execute(
            upsert.on_conflict_do_update(index_elements=[SourceCursor.account_id], set_=values)
        )
        changes: dict[str, Any] = {}
        if batch.external_id:
            changes["external_id"] = batch.external_id
        if batch.audience_size is not None:
            changes["audience_size"] = batch.audience_size
        if changes:
            session.execute(
                sa.update(Account).where(Account.id == state.account_id).values(**changes)
            )
        session.commit()
    return True
