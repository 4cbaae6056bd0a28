"""The crash probe's invariants: what the database holds, set against what the fleet published.

After a scan that completed: every public post of an eligible account (official, or personal with
consent) is stored once and its current text assessed once by the live classifier; no post of
an account without consent is stored. At any time, even right after a scan was killed:
no account's stored cursor claims a post that is not stored (the next scan would skip it). A
cursor is read as its platform's connector reads it: Mastodon's is the newest status id read,
Bluesky's lists the post URIs already read, a feed's validators name the version read.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

import sqlalchemy as sa

from benchmarks._fleet import Fleet
from pipeline.fakes import FakeHost
from pipeline.vocabulary import ACTIVE_SCAN_STATUSES

NOT_ASSESSED_ONCE = sa.text(
    """
    SELECT p.id FROM post p
    WHERE p.text IS NOT NULL AND p.text_purged_at IS NULL AND (
        SELECT count(*) FROM assessment a JOIN classifier c ON c.id = a.classifier_id
        WHERE a.post_id = p.id AND a.content_hash = p.content_hash AND c.status = 'live'
    ) <> 1
    """
)
ASSESSED_BETWEEN = sa.text(
    """
    SELECT count(*) FROM assessment a JOIN classifier c ON c.id = a.classifier_id
    WHERE c.status = 'live' AND a.created_at BETWEEN :started AND :finished
    """
)
RUN = (
    "SELECT id, run_key, status, started_at, finished_at, new_posts, edits, assessed FROM scan_run"
)


class World:
    """The fleet's accounts by account id, and which of them a scan may read."""

    def __init__(self, fleet: Fleet, ids: list[list[int]], eligible: set[int]) -> None:
        self.fleet = fleet
        self.eligible = eligible
        self.accounts: dict[int, tuple[FakeHost, dict[str, Any]]] = {
            account_id: (server, account)
            for (server, accounts), host_ids in zip(fleet.hosts, ids, strict=True)
            for account, account_id in zip(accounts, host_ids, strict=True)
        }

    def store_faults(self, engine: sa.Engine) -> dict[str, set[Any]]:
        """After a completed scan, what is wrong with the stored posts: ``lost`` (account id,
        post id), ``duplicated`` (host, post id), ``stored_without_consent`` (account id, post
        id), and ``cursors_ahead`` (account ids)."""
        with engine.connect() as db:
            rows = db.execute(
                sa.text(
                    "SELECT p.account_id, p.external_id, a.host FROM post p "
                    "JOIN account a ON a.id = p.account_id"
                )
            ).all()
        stored = {(r.account_id, r.external_id) for r in rows}
        by_host = Counter((r.host, r.external_id) for r in rows)
        return {
            "lost": {
                (account_id, post_id)
                for account_id in self.eligible
                for post_id in self.accounts[account_id][1]["posts"]
                if (account_id, post_id) not in stored
            },
            "duplicated": {key for key, n in by_host.items() if n > 1},
            "stored_without_consent": {key for key in stored if key[0] not in self.eligible},
            "cursors_ahead": self.cursors_ahead(engine),
        }

    def cursors_ahead(self, engine: sa.Engine) -> set[int]:
        """The accounts whose stored cursor claims a post that is not stored."""
        with engine.connect() as db:
            cursors = db.execute(
                sa.text("SELECT account_id, cursor, last_modified FROM source_cursor")
            ).all()
            stored: dict[int, set[str]] = defaultdict(set)
            for account_id, external_id in db.execute(
                sa.text("SELECT account_id, external_id FROM post")
            ):
                stored[account_id].add(external_id)
        ahead = set()
        for row in cursors:
            if row.account_id not in self.accounts:
                continue
            server, account = self.accounts[row.account_id]
            if _claimed(server, account, row.cursor, row.last_modified) - stored[row.account_id]:
                ahead.add(row.account_id)
        return ahead


def _claimed(
    server: FakeHost, account: dict[str, Any], cursor: str | None, last_modified: str | None
) -> set[str]:
    """The account's posts its cursor says were read."""
    posts = account["posts"]
    if server.platform == "mastodon" and cursor:
        return {p for p in posts if int(p) <= int(cursor)}
    if server.platform == "bluesky" and cursor:
        progress = json.loads(cursor)
        keys = set(progress.get("seen") or {})
        for gap in progress.get("gaps") or ():
            keys |= set(gap.get("seen") or {})
        return keys & set(posts)
    if server.platform == "rss" and last_modified:
        feed = server.feed(account["handle"])  # type: ignore[attr-defined]
        return set(posts) if parsedate_to_datetime(last_modified) >= feed.modified else set()
    return set()


def not_assessed_once(engine: sa.Engine) -> set[int]:
    """The posts whose current text has no assessment, or more than one, by the live
    classifier."""
    with engine.connect() as db:
        return set(db.scalars(NOT_ASSESSED_ONCE))


def assessed_between(engine: sa.Engine, started: datetime, finished: datetime) -> int:
    with engine.connect() as db:
        return db.scalar(ASSESSED_BETWEEN, {"started": started, "finished": finished}) or 0


def newest_run(engine: sa.Engine) -> Any:
    """The newest ``scan_run`` row, or None."""
    with engine.connect() as db:
        return db.execute(sa.text(f"{RUN} ORDER BY id DESC LIMIT 1")).one_or_none()


def run(engine: sa.Engine, run_id: int) -> Any:
    with engine.connect() as db:
        return db.execute(sa.text(f"{RUN} WHERE id = :id"), {"id": run_id}).one()


def active_runs(engine: sa.Engine) -> set[int]:
    """The runs still marked as in progress (running, ingested, assessed, queued)."""
    with engine.connect() as db:
        return set(
            db.scalars(
                sa.text("SELECT id FROM scan_run WHERE status = ANY(:active)"),
                {"active": list(ACTIVE_SCAN_STATUSES)},
            )
        )


def posts_stored(engine: sa.Engine) -> int:
    with engine.connect() as db:
        return db.scalar(sa.text("SELECT count(*) FROM post")) or 0
