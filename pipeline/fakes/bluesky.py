"""A fake Bluesky AppView: ``app.bsky.actor.getProfile`` and ``app.bsky.feed.getAuthorFeed``.

Shapes follow the ``app.bsky`` lexicons: ProfileViewDetailed (``did``, ``handle``,
``followersCount``, ``labels``) and FeedViewPost (``post`` with ``uri``, ``cid``, ``author``,
``record``, ``embed``, ``indexedAt``; ``reason`` for reposts; ``reply``). Like the AppView, each
author feed is sorted newest first by sort time, ``min(indexedAt, createdAt)`` of a post and
the repost's own time for a repost, and paged with an opaque cursor that names the last item's
sort time (so posts that arrive while a client pages do not shift its pages); a page may hold
fewer items than asked (``page_cap``). Responses carry ``RateLimit-Limit``,
``RateLimit-Remaining``, ``RateLimit-Reset`` (epoch seconds) and ``RateLimit-Policy``; errors
are ``{"error", "message"}`` objects with the AppView's names and words (``Profile not found``,
``AccountDeactivated``, ``AccountTakedown``).

Feeds are made of synthetic posts (``add_post``) or of recorded answers (``load``: a
``getAuthorFeed`` or ``getPostThread`` answer): every post view in them joins its author's
feed, and every repost its reposter's.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import json
import math
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pipeline.fakes.server import FakeHost, Reply, Request

DOMAIN = "bsky.test"
_B32 = "abcdefghijklmnopqrstuvwxyz234567"
REPOST = "app.bsky.feed.defs#reasonRepost"
# what the AppView answers (its getProfile and getAuthorFeed handlers) for an account it cannot show
STATUS_ERRORS = {
    "deleted": ("InvalidRequest", "Profile not found"),
    "deactivated": ("AccountDeactivated", "Account is deactivated"),
    "takendown": ("AccountTakedown", "Account has been suspended"),
}


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _b32(n: int, width: int) -> str:
    out = []
    for _ in range(width):
        n, r = divmod(n, 32)
        out.append(_B32[r])
    return "".join(reversed(out))


def sort_key(item: dict[str, Any], fallback: datetime) -> str:
    """The item's place in a feed (its sort time, then a tie-breaker), as the cursor names it."""
    post = item.get("post") if isinstance(item.get("post"), dict) else {}
    reason = item.get("reason") if isinstance(item.get("reason"), dict) else None
    record = post.get("record") if isinstance(post.get("record"), dict) else {}
    if reason:
        times = [_time(reason.get("indexedAt"))]
    else:
        times = [_time(post.get("indexedAt")), _time(record.get("createdAt"))]
    at = min((t for t in times if t), default=fallback)
    tie = str(post.get("cid") or post.get("uri") or id(item))
    if reason:
        tie += "/" + str((reason.get("by") or {}).get("did"))
    return f"{_iso(at)}::{tie}"


@dataclass
class FakeBlueskyActor:
    did: str
    handle: str
    followers: int = 0
    labels: list[dict[str, Any]] = field(default_factory=list)
    feed: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (sort key, item)
    status: str | None = None  # deleted, deactivated, takendown
    view: dict[str, Any] | None = None  # the author view of recorded answers


class FakeBluesky(FakeHost):
    platform = "bluesky"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.actors: dict[str, FakeBlueskyActor] = {}
        self.page_cap = 100  # the most items one page holds, whatever the limit asked
        self._seq = itertools.count(1)
        self._clock = datetime(2026, 1, 1, tzinfo=UTC)

    def add_account(
        self, name: str, *, followers: int = 100, no_unauthenticated: bool = False
    ) -> str:
        """Create an actor; returns the handle to register (``name.bsky.test``)."""
        with self._lock:
            n = next(self._seq)
            did = "did:plc:" + _b32(int(hashlib.sha256(name.encode()).hexdigest(), 16) + n, 24)
            actor = FakeBlueskyActor(did, f"{name}.{DOMAIN}".lower(), followers)
            if no_unauthenticated:
                actor.labels.append(
                    {
                        "src": did,
                        "uri": f"at://{did}/app.bsky.actor.profile/self",
                        "val": "!no-unauthenticated",
                        "cts": "2025-01-01T00:00:00.000Z",
                    }
                )
            self.actors[actor.handle] = self.actors[did] = actor
        return actor.handle

    def set_status(self, handle: str, status: str | None) -> None:
        """Make an account ``deleted``, ``deactivated`` or ``takendown`` (None: back to normal)."""
        if status is not None and status not in STATUS_ERRORS:
            raise ValueError(f"unknown status {status!r}: use {sorted(STATUS_ERRORS)}")
        with self._lock:
            self.actors[handle].status = status

    def _author(self, actor: FakeBlueskyActor) -> dict[str, Any]:
        if actor.view is not None:
            return actor.view
        return {
            "did": actor.did,
            "handle": actor.handle,
            "displayName": actor.handle,
            "avatar": None,
            "labels": actor.labels,
            "createdAt": "2025-01-01T00:00:00.000Z",
        }

    def add_post(
        self,
        handle: str,
        text: str,
        *,
        lang: str | None = "en",
        repost: bool = False,
        raw: dict[str, Any] | None = None,
    ) -> str:
        """Publish a post (or a repost of someone else's post); returns the post's AT URI."""
        actor = self.actors[handle]
        with self._lock:
            self._clock += timedelta(minutes=1)
            rkey = _b32(int(self._clock.timestamp() * 1e6) + next(self._seq), 13)
            author = self._author(actor)
            if repost:
                author = {**author, "did": "did:plc:" + "q" * 24, "handle": f"someone.{DOMAIN}"}
            uri = f"at://{author['did']}/app.bsky.feed.post/{rkey}"
            record: dict[str, Any] = {
                "$type": "app.bsky.feed.post",
                "text": text,
                "createdAt": _iso(self._clock),
            }
            if lang:
                record["langs"] = [lang]
            post = {
                "uri": uri,
                "cid": "bafyrei" + hashlib.sha256(uri.encode()).hexdigest()[:52],
                "author": author,
                "record": record,
                "replyCount": 0,
                "repostCount": 0,
                "likeCount": 0,
                "quoteCount": 0,
                "indexedAt": _iso(self._clock),
                "labels": [],
            }
            item: dict[str, Any] = {"post": post}
            if repost:
                item["reason"] = {
                    "$type": REPOST,
                    "by": self._author(actor),
                    "indexedAt": _iso(self._clock),
                }
            self._insert(actor, raw if raw is not None else item)
        return uri

    def _insert(self, actor: FakeBlueskyActor, item: dict[str, Any]) -> None:
        entry = (sort_key(item, self._clock), item)
        if entry[0] not in {key for key, _ in actor.feed}:
            bisect.insort(actor.feed, entry, key=lambda e: e[0])

    # --- recorded answers ------------------------------------------------------------------

    def load(self, path: str | Path) -> list[str]:
        """Serve the post views of a recorded ``getAuthorFeed`` or ``getPostThread`` answer:
        each joins its author's feed (created from the recorded author view), each repost its
        reposter's. Returns the handles of the authors of original posts, in order."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        items = data.get("feed") or []
        thread = data.get("thread")
        if isinstance(thread, dict) and isinstance(thread.get("post"), dict):
            items = [{"post": thread["post"]}]
        authors: list[str] = []
        with self._lock:
            for item in items:
                post = item["post"]
                own = {k: v for k, v in item.items() if k in ("post", "reply")}
                author = self._recorded_actor(post["author"])
                self._insert(author, own)
                if author.handle not in authors:
                    authors.append(author.handle)
                reason = item.get("reason")
                if isinstance(reason, dict) and reason.get("$type") == REPOST:
                    self._insert(self._recorded_actor(reason["by"]), item)
        return authors

    def add_item(self, handle: str, item: dict[str, Any]) -> None:
        """Put a feed item (e.g. a recorded one, changed by a test) in an actor's feed."""
        with self._lock:
            self._insert(self.actors[handle], item)

    def take_item(self, handle: str, uri: str) -> dict[str, Any]:
        """Take an actor's own post out of its feed (to publish it later); returns the item."""
        with self._lock:
            actor = self.actors[handle]
            for i, (_, item) in enumerate(actor.feed):
                if item["post"].get("uri") == uri and "reason" not in item:
                    del actor.feed[i]
                    return item
        raise KeyError(uri)

    def _recorded_actor(self, view: dict[str, Any]) -> FakeBlueskyActor:
        actor = self.actors.get(view["did"])
        if actor is None:
            actor = FakeBlueskyActor(view["did"], view["handle"], 100, view.get("labels") or [])
            actor.view = view
            self.actors[actor.handle] = self.actors[actor.did] = actor
        return actor

    # --- serving ---------------------------------------------------------------------------

    def account_key(self, request: Request) -> str | None:
        actor = self.actors.get(request.query.get("actor", ""))
        return actor.handle if actor else None

    def limit_headers(self, limit: int, remaining: int, reset: float) -> dict[str, str]:
        period = self.rate_limit[1] if self.rate_limit else 300
        return {
            "RateLimit-Limit": str(limit),
            "RateLimit-Remaining": str(remaining),
            "RateLimit-Reset": str(math.ceil(reset)),
            "RateLimit-Policy": f"{limit};w={round(period)}",
        }

    def storm_reset(self) -> float:
        return math.floor(time.time())  # RateLimit-Reset has whole seconds

    def retry_headers(self, reset: float) -> dict[str, str]:
        return {}  # the AppView's 429 carries the RateLimit-* headers

    def route(self, request: Request) -> Reply:
        with self._lock:
            if request.path == "/xrpc/app.bsky.actor.getProfile":
                return self._profile(request)
            if request.path == "/xrpc/app.bsky.feed.getAuthorFeed":
                return self._feed(request)
        return Reply.json(
            {"error": "MethodNotImplemented", "message": "Method Not Implemented"}, 501
        )

    def _actor_or_error(self, request: Request, *, named: bool) -> FakeBlueskyActor | Reply:
        actor = self.actors.get(request.query.get("actor", ""))
        if actor is None or actor.status == "deleted":
            return Reply.json({"error": "InvalidRequest", "message": "Profile not found"}, 400)
        if actor.status:
            # getProfile names the reason; getAuthorFeed does not find a hidden account
            error, message = STATUS_ERRORS[actor.status] if named else STATUS_ERRORS["deleted"]
            return Reply.json({"error": error, "message": message}, 400)
        return actor

    def _profile(self, request: Request) -> Reply:
        actor = self._actor_or_error(request, named=True)
        if isinstance(actor, Reply):
            return actor
        own = sum(1 for _, item in actor.feed if "reason" not in item)
        return Reply.json(
            {
                **self._author(actor),
                "description": "",
                "followersCount": actor.followers,
                "followsCount": 1,
                "postsCount": own,
                "indexedAt": "2025-01-01T00:00:00.000Z",
            }
        )

    def _feed(self, request: Request) -> Reply:
        actor = self._actor_or_error(request, named=False)
        if isinstance(actor, Reply):
            return actor
        try:
            limit = int(request.query.get("limit", 50))
        except ValueError:
            return Reply.json({"error": "InvalidRequest", "message": "bad limit"}, 400)
        if not 1 <= limit <= 100:
            return Reply.json(
                {"error": "InvalidRequest", "message": "limit must be between 1 and 100"}, 400
            )
        before = request.query.get("cursor")
        keys = [key for key, _ in actor.feed]
        end = bisect.bisect_left(keys, before) if before else len(keys)
        first = max(0, end - min(limit, self.page_cap))
        page = actor.feed[first:end]
        body: dict[str, Any] = {"feed": [item for _, item in reversed(page)]}
        if first > 0:
            body["cursor"] = page[0][0]
        return Reply.json(body)
