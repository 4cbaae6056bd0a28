"""Mastodon: ``GET /api/v1/accounts/lookup`` and ``GET /api/v1/accounts/:id/statuses``.

The cursor is the newest stored status id. An ordinary night costs one request per account:
the newest page (``limit=40``) holds every new status and also shows recent ``edited_at``
changes. When that page is all new (more than 40 new statuses), the connector pages forward
from the cursor with ``min_id`` and the ``Link: rel="prev"`` URLs, committing after each page,
so an interrupted account resumes where it stopped. Only ``public`` statuses are kept; reblogs
are skipped; an account with ``noindex`` is not stored at all.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import requests

from pipeline.ingest.sources.base import AccountState, Batch, FetchedPost, OptedOut
from pipeline.ingest.sources.http import HostClient, TransientError, json_body
from pipeline.ingest.sources.text import html_to_text, parse_time

PAGE = 40


def _id_key(status_id: str) -> tuple[int, str]:
    """Mastodon ids are numeric strings: order by length, then text."""
    return (len(status_id), status_id)


def _page(response: requests.Response) -> tuple[list[Any], dict[str, str]]:
    body = json_body(response)
    if not isinstance(body, list):
        raise TransientError(f"expected a JSON array of statuses from {response.url}")
    links = {rel: link["url"] for rel, link in response.links.items() if "url" in link}
    return body, links


def _lookup(client: HostClient, handle: str) -> dict[str, Any]:
    account = client.fetch("/api/v1/accounts/lookup", json_body, params={"acct": handle})
    if not isinstance(account, dict) or not account.get("id"):
        raise TransientError(f"malformed account lookup for {handle}")
    return account


def convert(status: Any, skipped: Counter[str]) -> FetchedPost | None:
    """One status as a post, or ``None`` (counted in ``skipped`` by reason)."""
    if not isinstance(status, dict) or not isinstance(status.get("id"), str):
        skipped["malformed_item"] += 1
        return None
    if isinstance(status.get("account"), dict) and status["account"].get("noindex"):
        raise OptedOut(status["account"].get("acct", ""))
    if status.get("reblog"):
        skipped["reblog"] += 1
        return None
    if status.get("visibility") != "public":
        skipped["not_public"] += 1
        return None
    try:
        published = parse_time(status.get("created_at"))
        edited = parse_time(status["edited_at"]) if status.get("edited_at") else None
        content = html_to_text(status.get("content") or "")
    except (ValueError, TypeError, AttributeError):
        skipped["malformed_item"] += 1
        return None
    spoiler = status.get("spoiler_text") or ""
    text = f"{spoiler}\n\n{content}".strip() if isinstance(spoiler, str) else content
    if not text:
        skipped["no_text"] += 1
        return None
    return FetchedPost(
        external_id=status["id"],
        text=text,
        published_at=published,
        edited_at=edited,
        url=status.get("url") or status.get("uri"),
        lang=status.get("language") if isinstance(status.get("language"), str) else None,
        meta={
            "in_reply_to_id": status.get("in_reply_to_id"),
            "sensitive": bool(status.get("sensitive")),
        },
    )


def _batch(statuses: list[Any], cursor: str | None) -> Batch:
    batch = Batch(cursor=cursor, keep_cursor=False)
    for status in statuses:
        status_id = status.get("id") if isinstance(status, dict) else None
        seen = isinstance(status_id, str) and cursor and _id_key(status_id) <= _id_key(cursor)
        # statuses already seen are re-read only for edits: do not count their skips again
        post = convert(status, Counter() if seen else batch.skipped)
        if post is not None:
            batch.posts.append(post)
        if isinstance(status_id, str) and (
            batch.cursor is None or _id_key(status_id) > _id_key(batch.cursor)
        ):
            batch.cursor = status_id
    return batch


def fetch(client: HostClient, state: AccountState) -> Iterator[Batch]:
    profile = Batch()
    external_id = state.external_id
    if external_id is None or state.profile_due:
        account = _lookup(client, state.handle)
        if account.get("noindex"):
            raise OptedOut(state.handle)
        external_id = str(account["id"])
        followers = account.get("followers_count")
        profile = Batch(
            external_id=external_id,
            profile_fetched=True,
            audience_size=followers if isinstance(followers, int) else None,
        )
    path = f"/api/v1/accounts/{external_id}/statuses"
    if state.cursor:
        statuses, _ = client.fetch(path, _page, params={"limit": PAGE})
        ids = [s["id"] for s in statuses if isinstance(s, dict) and isinstance(s.get("id"), str)]
        if len(statuses) < PAGE or any(_id_key(i) <= _id_key(state.cursor) for i in ids):
            batch = _batch(statuses, state.cursor)
            yield _with_profile(batch, profile)
            return
    # Page forward from the cursor (or from the first status): each page is committed.
    url, params = path, {"min_id": state.cursor or "0", "limit": PAGE}
    cursor = state.cursor
    while True:
        statuses, links = client.fetch(url, _page, params=params)
        batch = _with_profile(_batch(statuses, cursor), profile)
        profile = Batch()
        cursor = batch.cursor
        yield batch
        if len(statuses) < PAGE or "prev" not in links:
            return
        url, params = links["prev"], None


def _with_profile(batch: Batch, profile: Batch) -> Batch:
    batch.external_id = profile.external_id
    batch.audience_size = profile.audience_size
    batch.profile_fetched = profile.profile_fetched
    return batch
