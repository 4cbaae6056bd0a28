"""Bluesky: the public AppView's ``app.bsky.feed.getAuthorFeed`` and ``app.bsky.actor.getProfile``.

The feed is newest first and paged with ``cursor``; paging stops at the first post already
stored (the cursor holds the newest stored post's URI and creation time). Everything new is
committed together, because a newest-first walk cannot commit part-way without leaving a gap
behind it. Reposts are skipped; accounts labeled ``!no-unauthenticated`` are not stored.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from pipeline.ingest.sources.base import AccountState, Batch, FetchedPost, OptedOut
from pipeline.ingest.sources.http import HostClient, TransientError, json_body
from pipeline.ingest.sources.text import parse_time

PAGE = 100
NO_UNAUTHENTICATED = "!no-unauthenticated"
REPOST = "app.bsky.feed.defs#reasonRepost"


def _opted_out(actor: Any) -> bool:
    labels = actor.get("labels") if isinstance(actor, dict) else None
    return any(isinstance(x, dict) and x.get("val") == NO_UNAUTHENTICATED for x in labels or ())


def _object(response: Any) -> dict[str, Any]:
    body = json_body(response)
    if not isinstance(body, dict):
        raise TransientError(f"expected a JSON object from {response.url}")
    return body


def _stop_point(cursor: str | None) -> tuple[str | None, datetime | None, str]:
    """(newest stored URI, its creation time, when the feed was last read up to)."""
    if not cursor:
        return None, None, ""
    try:
        data = json.loads(cursor)
        return data["uri"], parse_time(data["created_at"]), str(data.get("seen_at", ""))
    except (ValueError, KeyError, TypeError):
        return cursor, None, ""


def _item_time(item: Any) -> str:
    """When an item entered the feed (ISO text; the repost's time for reposts)."""
    if not isinstance(item, dict):
        return ""
    for holder in (item.get("reason"), item.get("post")):
        if isinstance(holder, dict) and isinstance(holder.get("indexedAt"), str):
            return holder["indexedAt"]
    return ""


def convert(item: Any, did: str | None, skipped: Counter[str]) -> FetchedPost | None:
    if not isinstance(item, dict) or not isinstance(item.get("post"), dict):
        skipped["malformed_item"] += 1
        return None
    post = item["post"]
    reason = item.get("reason")
    author = post.get("author") if isinstance(post.get("author"), dict) else {}
    if (isinstance(reason, dict) and reason.get("$type") == REPOST) or (
        did and author.get("did") not in (None, did)
    ):
        skipped["repost"] += 1
        return None
    if _opted_out(author):
        raise OptedOut(author.get("handle", ""))
    record = post.get("record")
    try:
        uri = post["uri"]
        text = record["text"]
        published = parse_time(record["createdAt"])
        if not isinstance(uri, str) or not uri.startswith("at://") or not isinstance(text, str):
            raise ValueError(uri)
    except (ValueError, KeyError, TypeError):
        skipped["malformed_item"] += 1
        return None
    if not text.strip():
        skipped["no_text"] += 1
        return None
    langs = record.get("langs")
    rkey = uri.rsplit("/", 1)[-1]
    return FetchedPost(
        external_id=uri,
        text=text,
        published_at=published,
        url=f"https://bsky.app/profile/{author.get('did') or did}/post/{rkey}",
        lang=langs[0] if isinstance(langs, list) and langs and isinstance(langs[0], str) else None,
        meta={"cid": post.get("cid"), "reply": "reply" in record},
    )


def fetch(client: HostClient, state: AccountState) -> Iterator[Batch]:
    batch = Batch(keep_cursor=False, cursor=state.cursor)
    did = state.external_id
    if did is None or state.profile_due:
        profile = client.fetch(
            "/xrpc/app.bsky.actor.getProfile", _object, params={"actor": state.handle}
        )
        if _opted_out(profile):
            raise OptedOut(state.handle)
        if not isinstance(profile.get("did"), str):
            raise TransientError(f"malformed profile for {state.handle}")
        did = batch.external_id = profile["did"]
        followers = profile.get("followersCount")
        batch.audience_size = followers if isinstance(followers, int) else None
        batch.profile_fetched = True
    stop_uri, stop_at, seen_at = _stop_point(state.cursor)
    params: dict[str, Any] = {"actor": did, "limit": PAGE}
    newest: FetchedPost | None = None
    latest_seen = seen_at
    while True:
        page = client.fetch("/xrpc/app.bsky.feed.getAuthorFeed", _object, params=params)
        feed = page.get("feed")
        if not isinstance(feed, list):
            raise TransientError("getAuthorFeed answered without a feed array")
        reached = False
        for item in feed:
            item_time = _item_time(item)
            latest_seen = max(latest_seen, item_time)
            # items read on an earlier run (e.g. reposts above the stop point): count once
            post = convert(
                item, did, batch.skipped if not item_time or item_time > seen_at else Counter()
            )
            if post is None:
                continue
            if post.external_id == stop_uri or (stop_at and post.published_at < stop_at):
                reached = True
                break
            newest = newest or post
            batch.posts.append(post)
        next_cursor = page.get("cursor")
        if reached or not feed or not isinstance(next_cursor, str):
            break
        params = {**params, "cursor": next_cursor}
    if newest is not None:
        stop_uri, stop_at = newest.external_id, newest.published_at
    if stop_uri is not None:
        batch.cursor = json.dumps(
            {
                "uri": stop_uri,
                "seen_at": latest_seen,
                "created_at": stop_at.isoformat() if stop_at else None,
            }
        )
    yield batch
