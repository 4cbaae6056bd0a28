"""A fake Bluesky AppView: ``app.bsky.actor.getProfile`` and ``app.bsky.feed.getAuthorFeed``.

Shapes follow the ``app.bsky`` lexicons: ProfileViewDetailed (``did``, ``handle``,
``followersCount``, ``labels``) and FeedViewPost (``post`` with ``uri``, ``cid``, ``author``,
``record``, ``indexedAt``; ``reason`` for reposts), newest first, paged with an opaque
``cursor``; responses carry ``RateLimit-Limit``, ``RateLimit-Remaining``, ``RateLimit-Reset``
(epoch seconds) and ``RateLimit-Policy``; errors are ``{"error", "message"}`` objects.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pipeline.fakes.server import FakeHost, Reply, Request

DOMAIN = "bsky.test"
_B32 = "abcdefghijklmnopqrstuvwxyz234567"


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _b32(n: int, width: int) -> str:
    out = []
    for _ in range(width):
        n, r = divmod(n, 32)
        out.append(_B32[r])
    return "".join(reversed(out))


@dataclass
class FakeBlueskyActor:
    did: str
    handle: str
    followers: int = 0
    labels: list[dict[str, Any]] = field(default_factory=list)
    feed: list[dict[str, Any]] = field(default_factory=list)  # oldest first


class FakeBluesky(FakeHost):
    platform = "bluesky"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.actors: dict[str, FakeBlueskyActor] = {}
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

    def _author(self, actor: FakeBlueskyActor) -> dict[str, Any]:
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
                    "$type": "app.bsky.feed.defs#reasonRepost",
                    "by": self._author(actor),
                    "indexedAt": _iso(self._clock),
                }
            if raw is not None:
                item = raw
            actor.feed.append(item)
        return uri

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
                actor = self.actors.get(request.query.get("actor", ""))
                if actor is None:
                    return Reply.json(
                        {"error": "InvalidRequest", "message": "Profile not found"}, 400
                    )
                return Reply.json(
                    {
                        **self._author(actor),
                        "description": "",
                        "followersCount": actor.followers,
                        "followsCount": 1,
                        "postsCount": len(actor.feed),
                        "indexedAt": "2025-01-01T00:00:00.000Z",
                    }
                )
            if request.path == "/xrpc/app.bsky.feed.getAuthorFeed":
                return self._feed(request)
        return Reply.json(
            {"error": "MethodNotImplemented", "message": "Method Not Implemented"}, 501
        )

    def _feed(self, request: Request) -> Reply:
        actor = self.actors.get(request.query.get("actor", ""))
        if actor is None:
            return Reply.json({"error": "InvalidRequest", "message": "Profile not found"}, 400)
        try:
            limit = int(request.query.get("limit", 50))
            before = int(request.query.get("cursor") or len(actor.feed))
        except ValueError:
            return Reply.json({"error": "InvalidRequest", "message": "bad limit or cursor"}, 400)
        if not 1 <= limit <= 100:
            return Reply.json(
                {"error": "InvalidRequest", "message": "limit must be between 1 and 100"}, 400
            )
        # The cursor is a position counted from the oldest post, so posts published while a
        # client pages do not shift the pages it has yet to read.
        first = max(0, min(before, len(actor.feed)) - limit)
        body: dict[str, Any] = {"feed": list(reversed(actor.feed[first:before]))}
        if first > 0:
            body["cursor"] = str(first)
        return Reply.json(body)
