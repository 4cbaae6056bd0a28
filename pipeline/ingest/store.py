"""Storing what connectors fetched: one transaction per batch, posts and cursor together.

Each batch is stored only after re-checking, in the same transaction and with the owner's
consent rows share-locked, that the account is still eligible. Posts are upserted on
(account, external id); a new content hash is an edit; a purged text is never brought back.
A stored batch clears the account's last error; ``store_failure`` keeps one.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from pipeline import clock
from pipeline.config import Settings
from pipeline.db.models import Account, Consent, Post, SourceCursor
from pipeline.ingest.sources.base import AccountState, Batch
from pipeline.ingest.sources.text import TRUNCATION_MARKER, clean, content_hash
from pipeline.registry import consent


@dataclass
class IngestSummary:
    accounts: int = 0
    requests: int = 0
    new_posts: int = 0
    edits: int = 0
    http_429: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)  # failed accounts by host
    errors_by_kind: Counter[str] = field(default_factory=Counter)  # the same, by kind
    # accounts that could not be read (see pipeline.ingest.failures), as scan_run lists them
    failures: list[dict[str, Any]] = field(default_factory=list)

    def add(self, other: IngestSummary) -> None:
        self.accounts += other.accounts
        self.requests += other.requests
        self.new_posts += other.new_posts
        self.edits += other.edits
        self.http_429 += other.http_429
        self.skipped.update(other.skipped)
        self.errors.update(other.errors)
        self.errors_by_kind.update(other.errors_by_kind)
        self.failures.extend(other.failures)

    def as_dict(self) -> dict[str, Any]:
        return {
            "accounts": self.accounts,
            "requests": self.requests,
            "new_posts": self.new_posts,
            "edits": self.edits,
            "http_429": self.http_429,
            "skipped": dict(sorted(self.skipped.items())),
            "errors": dict(sorted(self.errors.items())),
            "errors_by_kind": dict(sorted(self.errors_by_kind.items())),
            "failures": sorted(self.failures, key=lambda f: f["account_id"]),
        }


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
        Account.id == account_id, consent.active_consent_clause(clock.now())
    )
    return session.scalar(query) is not None


def _rows(
    state: AccountState, batch: Batch, settings: Settings, summary: IngestSummary
) -> list[dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for post in batch.posts:
        text = clean(post.text, settings.max_post_chars)
        external_id = clean(post.external_id, 512)
        if not text or (post.parts is not None and not post.parts.has_text()):
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
            "parts": _clean_parts(post.parts.as_json() if post.parts else {}, settings),
        }
    return list(rows.values())


def _clean_parts(value: Any, settings: Settings) -> Any:
    """Every string of the parts cleaned like the text (control characters, length)."""
    if isinstance(value, str):
        return clean(value, settings.max_post_chars)
    if isinstance(value, list):
        return [_clean_parts(v, settings) for v in value]
    if isinstance(value, dict):
        return {k: _clean_parts(v, settings) for k, v in value.items()}
    return value


def store_batch(
    engine: sa.Engine, settings: Settings, state: AccountState, batch: Batch, summary: IngestSummary
) -> bool:
    summary.skipped.update(batch.skipped)
    rows = _rows(state, batch, settings, summary)
    inserted: list[bool] = []
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
                    "lang_detected": None,  # an edit is tagged again by the languages check
                    "url": stmt.excluded.url,
                    "meta": stmt.excluded.meta,
                    "parts": stmt.excluded.parts,
                    "fetched_at": sa.func.now(),
                },
                # unchanged text is not rewritten; a purged text is never brought back
                where=sa.and_(
                    Post.content_hash != stmt.excluded.content_hash, Post.text_purged_at.is_(None)
                ),
            ).returning(sa.literal_column("(xmax = 0)"))
            inserted = [flag for (flag,) in session.execute(stmt)]
        values: dict[str, Any] = {
            "last_fetched_at": sa.func.now(),
            "last_status": batch.status,
            "last_warning": batch.warning,
            "last_error": None,  # read: the last failure is over
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
    # counted once committed: a batch that fails to commit adds nothing
    summary.new_posts += sum(inserted)
    summary.edits += len(inserted) - sum(inserted)
    return True


def store_failure(
    engine: sa.Engine, account_id: int, error: dict[str, Any], *, status: str = "failed"
) -> None:
    """Keep an account's failure (``pipeline.ingest.failures``) as its last status and error;
    its cursor and what was stored before the failure stay."""
    values: dict[str, Any] = {
        "last_status": status,
        "last_error": error,
        "updated_at": sa.func.now(),
    }
    with Session(engine) as session:
        upsert = insert(SourceCursor).values(account_id=account_id, **values)
        session.execute(
            upsert.on_conflict_do_update(index_elements=[SourceCursor.account_id], set_=values)
        )
        session.commit()
