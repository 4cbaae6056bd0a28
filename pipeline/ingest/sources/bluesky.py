"""Bluesky: the public AppView's ``app.bsky.feed.getAuthorFeed`` and ``app.bsky.actor.getProfile``.

The feed is newest first and paged with ``cursor``. Each page is committed as it comes, so a
page that fails keeps the pages before it; how far the feed was read (the newest sort time, the
posts read within an overlap below it, the gaps left by walks that stopped part-way) is the
stored cursor (``bluesky_progress``). A run walks the new top down to that overlap, which
catches posts whose client clock was behind, then finishes the gaps. Each post is stored whole
(``bluesky_message``): its text with links resolved to their full URIs, alt texts, link card,
quoted post, the post it answers. Reposts are skipped; accounts labeled ``!no-unauthenticated``
are not stored. An account the AppView says is deactivated, suspended, blocked or unknown
(HTTP 400 with the reason in its body) is a permanent error: asked once per scan.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from pipeline.ingest.sources.base import AccountState, Batch, FetchedPost, OptedOut
from pipeline.ingest.sources.bluesky_message import message, post_url
from pipeline.ingest.sources.bluesky_progress import Progress, Walk
from pipeline.ingest.sources.http import (
    HostClient,
    HttpError,
    PermanentError,
    TransientError,
    json_body,
)
from pipeline.ingest.sources.text import parse_time

PAGE = 100
NO_UNAUTHENTICATED = "!no-unauthenticated"
REPOST = "app.bsky.feed.defs#reasonRepost"
PIN = "app.bsky.feed.defs#reasonPin"
GONE = {  # the AppView's error names (HTTP 400) for an account that cannot be read
    "AccountDeactivated": "the account is deactivated; it may come back, or remove it",
    "AccountTakedown": "the account has been suspended by the service; remove it or wait",
    "BlockedActor": "the account is blocked by the requester",
    "BlockedByActor": "the account blocks the requester",
}


def _opted_out(actor: Any) -> bool:
    labels = actor.get("labels") if isinstance(actor, dict) else None
    return any(isinstance(x, dict) and x.get("val") == NO_UNAUTHENTICATED for x in labels or ())


def _object(response: Any) -> dict[str, Any]:
    body = json_body(response)
    if not isinstance(body, dict):
        raise TransientError(f"expected a JSON object from {response.url}")
    return body


def _call(client: HostClient, method: str, params: dict[str, Any]) -> dict[str, Any]:
    """One XRPC query; the AppView's 400 answers about the account become permanent errors
    that say why."""
    try:
        return client.fetch(f"/xrpc/{method}", _object, params=params)
    except HttpError as exc:
        if exc.status != 400:
            raise
        error, said = exc.error or "InvalidRequest", exc.message or ""
        if error in GONE:
            reason = f"Bluesky {method}: {error}: {GONE[error]}"
        elif "not found" in said.lower():
            reason = f"Bluesky {method}: {said}: no such account; check the handle"
        else:
            reason = f"Bluesky {method} refused the request: {error}: {said or 'no message'}"
        raise PermanentError(reason, status=400) from exc


def sort_time(item: Any) -> datetime | None:
    """Where an item sorts in the feed: a repost by its own time, a post by
    ``min(indexedAt, createdAt)``; None for a pinned post (shown out of order) or no time."""
    if not isinstance(item, dict) or not isinstance(item.get("post"), dict):
        return None
    reason = item.get("reason")
    kind = reason.get("$type") if isinstance(reason, dict) else None
    if kind == PIN:
        return None
    post = item["post"]
    record = post.get("record") if isinstance(post.get("record"), dict) else {}
    sources = (
        [reason.get("indexedAt")] if kind else [post.get("indexedAt"), record.get("createdAt")]
    )
    times = []
    for value in sources:
        try:
            times.append(parse_time(value))
        except ValueError:
            continue
    return min(times, default=None)


def item_key(item: Any) -> str | None:
    """What identifies an item across runs: the post's URI, or the repost's."""
    post = item.get("post") if isinstance(item, dict) else None
    uri = post.get("uri") if isinstance(post, dict) else None
    if not isinstance(uri, str):
        return None
    reason = item.get("reason")
    if isinstance(reason, dict) and reason.get("$type") == REPOST:
        by = reason.get("by") if isinstance(reason.get("by"), dict) else {}
        return str(reason.get("uri") or f"repost:{by.get('did')}:{uri}")
    return uri


def convert(item: Any, did: str | None, skipped: Counter[str]) -> FetchedPost | None:
    """One feed item as a post, or ``None`` (counted in ``skipped`` by reason)."""
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
        published = parse_time(record["createdAt"])
        if not isinstance(uri, str) or not uri.startswith("at://"):
            raise ValueError(uri)
        if not isinstance(record.get("text", ""), str):
            raise ValueError(record["text"])
    except (ValueError, KeyError, TypeError, AttributeError):
        skipped["malformed_item"] += 1
        return None
    parts = message(item, post, record)
    if not parts.has_text():
        skipped["no_text"] += 1
        return None
    langs = record.get("langs")
    return FetchedPost(
        external_id=uri,
        text="",
        parts=parts,
        published_at=published,
        url=post_url(uri),
        lang=langs[0] if isinstance(langs, list) and langs and isinstance(langs[0], str) else None,
        meta={"cid": post.get("cid"), "reply": "reply" in record},
    )


def _profile(client: HostClient, state: AccountState) -> Batch:
    profile = _call(client, "app.bsky.actor.getProfile", {"actor": state.handle})
    if _opted_out(profile):
        raise OptedOut(state.handle)
    if not isinstance(profile.get("did"), str):
        raise TransientError(f"malformed profile for {state.handle}")
    followers = profile.get("followersCount")
    return Batch(
        external_id=profile["did"],
        audience_size=followers if isinstance(followers, int) else None,
        profile_fetched=True,
    )


def fetch(client: HostClient, state: AccountState) -> Iterator[Batch]:
    profile = Batch()
    did = state.external_id
    if did is None or state.profile_due:
        profile = _profile(client, state)
        did = profile.external_id
    progress = Progress.loads(state.cursor)
    pending: list[Walk] = [progress.top(), *progress.gaps]
    from_top = True  # the first walk is the one from the top
    while pending:
        walk = pending[0]
        params: dict[str, Any] = {"actor": did, "limit": PAGE}
        if walk.cursor:
            params["cursor"] = walk.cursor
        page = _call(client, "app.bsky.feed.getAuthorFeed", params)
        feed = page.get("feed")
        if not isinstance(feed, list):
            raise TransientError("getAuthorFeed answered without a feed array")
        batch = Batch(
            keep_cursor=False,
            external_id=profile.external_id,
            audience_size=profile.audience_size,
            profile_fetched=profile.profile_fetched,
        )
        profile = Batch()
        finished = _read(feed, walk, did, batch, progress, from_top=from_top)
        next_cursor = page.get("cursor")
        if finished or not feed or not isinstance(next_cursor, str) or not next_cursor:
            pending.pop(0)
            from_top = False
        else:
            pending[0] = Walk(next_cursor, walk.floor, walk.seen)
        batch.cursor = progress.dumps(pending)
        yield batch


def _read(
    feed: list[Any],
    walk: Walk,
    did: str | None,
    batch: Batch,
    progress: Progress,
    *,
    from_top: bool,
) -> bool:
    """Add one page's new posts to ``batch``; True when the walk reached its floor. Items read
    before (near the walk's floor, or by this run's walk from the top) are passed over; the walk
    from the top records what it reads (the newest mark and the window below it)."""
    for item in feed:
        at = sort_time(item)
        if walk.done_below(at):
            return True
        key = item_key(item)
        if key is not None and (key in walk.seen or key in progress.seen):
            continue
        post = convert(item, did, batch.skipped)
        if from_top and key is not None:
            progress.saw(key, at)
        if post is not None:
            batch.posts.append(post)
    return False
