"""A fake Mastodon server: ``/api/v1/accounts/lookup`` and ``/api/v1/accounts/:id/statuses``.

Shapes follow the Mastodon API documentation (Account and Status entities); paging uses
``max_id`` / ``since_id`` / ``min_id`` and ``limit`` (default 20, at most 40) with a ``Link``
header (``rel="next"`` older, ``rel="prev"`` newer); responses carry ``X-RateLimit-Limit``,
``X-RateLimit-Remaining`` and ``X-RateLimit-Reset`` (ISO 8601). Unauthenticated callers see
public and unlisted statuses, as on a real server.

Besides the synthetic statuses of ``add_post``, it serves recorded answers of real servers
(``add_recorded``: the statuses found in a recorded cassette, as the server answered them), and
accounts of another server as a real server knows them (``add_remote_account``: ``acct`` is
``user@domain``, no ``noindex``, which only the home server tells).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from pipeline.fakes.mastodon_recordings import recorded_statuses
from pipeline.fakes.server import FakeHost, Reply, Request

DOMAIN = "mastodon.test"


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class FakeMastodonAccount:
    id: str
    username: str
    followers: int = 0
    noindex: bool = False
    statuses: dict[str, dict[str, Any]] = field(default_factory=dict)
    entity: dict[str, Any] | None = None  # the Account entity as a server answered it


class FakeMastodon(FakeHost):
    platform = "mastodon"

    def __init__(self, *, domain: str = DOMAIN, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.domain = domain
        self.accounts: dict[str, FakeMastodonAccount] = {}  # by acct: user, or user@domain
        self._by_id: dict[str, FakeMastodonAccount] = {}
        self._ids = itertools.count(110_000_000_000_000_000, 1_000)
        self._clock = datetime(2026, 1, 1, tzinfo=UTC)
        self._failing: list[tuple[Callable[[Request], bool], int]] = []

    # --- data --------------------------------------------------------------------------

    def add_account(self, username: str, *, followers: int = 100, noindex: bool = False) -> str:
        """Create an account; returns the handle to register (``username@mastodon.test``)."""
        with self._lock:
            account_id = str(next(self._ids))
            account = FakeMastodonAccount(account_id, username, followers, noindex)
            self.accounts[username] = self._by_id[account_id] = account
        return f"{username}@{self.domain}"

    def add_remote_account(self, username: str, home: FakeMastodon) -> str:
        """Make ``username`` of the ``home`` server known here, as a real server knows a
        remote account; returns its handle (``username@home-domain``)."""
        at_home = home._account_entity(home.account(username))
        with self._lock:
            account_id = str(next(self._ids))
            acct = f"{username}@{home.domain}"
            remote = FakeMastodonAccount(account_id, username, at_home["followers_count"])
            remote.entity = {k: v for k, v in at_home.items() if k != "noindex"}
            remote.entity.update(id=account_id, acct=acct, discoverable=None)
            self.accounts[acct] = self._by_id[account_id] = remote
        return acct

    def add_recorded(self, path: Path, *, upto: int | None = None) -> list[str]:
        """Serve the statuses a real server answered in a recorded cassette (VCR YAML: the
        ``interactions`` of Mastodon.py's test suite) or JSON file (a status or an array):
        each status as last answered within the first ``upto`` interactions (DELETE answers
        left out), under the account that posted it. Returns the handles of those accounts.
        """
        handles: list[str] = []
        for status in recorded_statuses(path, upto):
            entity = status["account"]
            with self._lock:
                account = self.accounts.get(entity["acct"])
                if account is None:
                    account = FakeMastodonAccount(entity["id"], entity["username"])
                    self.accounts[entity["acct"]] = self._by_id[entity["id"]] = account
                elif account.id != entity["id"]:
                    raise ValueError(
                        f"{path.name}: {entity['acct']} has id {entity['id']} here but "
                        f"{account.id} in an earlier recording: serve it from another fake"
                    )
                account.entity = entity
                account.statuses[status["id"]] = status
            handle = f"{entity['acct']}@{self.domain}"
            if handle not in handles:
                handles.append(handle)
        return handles

    def fail_when(self, predicate: Callable[[Request], bool], status: int = 500) -> None:
        """Answer every request matching ``predicate`` with ``status``, until ``heal``."""
        with self._lock:
            self._failing.append((predicate, status))

    def heal(self) -> None:
        with self._lock:
            self._failing.clear()

    def account(self, handle: str) -> FakeMastodonAccount:
        user, _, domain = handle.lstrip("@").partition("@")
        return self.accounts[user if domain in ("", self.domain) else f"{user}@{domain}"]

    def add_post(
        self,
        handle: str,
        text: str,
        *,
        visibility: str = "public",
        reblog: bool = False,
        spoiler: str = "",
        lang: str | None = "en",
        raw: dict[str, Any] | None = None,
    ) -> str:
        """Publish a status with ``text`` (as sanitized HTML); returns its id."""
        account = self.account(handle)
        with self._lock:
            status_id = str(next(self._ids))
            self._clock += timedelta(minutes=1)
            entity = self._account_entity(account)
            status: dict[str, Any] = {
                "id": status_id,
                "created_at": _iso(self._clock),
                "in_reply_to_id": None,
                "in_reply_to_account_id": None,
                "sensitive": bool(spoiler),
                "spoiler_text": spoiler,
                "visibility": visibility,
                "language": lang,
                "uri": f"https://{self.domain}/users/{account.username}/statuses/{status_id}",
                "url": f"https://{self.domain}/@{account.username}/{status_id}",
                "replies_count": 0,
                "reblogs_count": 0,
                "favourites_count": 0,
                "edited_at": None,
                "content": "".join(f"<p>{escape(p)}</p>" for p in text.split("\n\n")),
                "reblog": None,
                "account": entity,
                "media_attachments": [],
                "mentions": [],
                "tags": [],
                "emojis": [],
                "card": None,
                "poll": None,
            }
            if reblog:
                original = dict(status, id=str(next(self._ids)), account={**entity, "id": "1"})
                status.update(content="", reblog=original)
            if raw is not None:
                status = {"id": status_id, **raw}
            account.statuses[status_id] = status
        return status_id

    def edit_post(self, handle: str, status_id: str, text: str) -> None:
        with self._lock:
            status = self.account(handle).statuses[status_id]
            self._clock += timedelta(minutes=1)
            status["content"] = f"<p>{escape(text)}</p>"
            status["edited_at"] = _iso(self._clock)

    def _account_entity(self, account: FakeMastodonAccount) -> dict[str, Any]:
        if account.entity is not None:
            return account.entity
        entity = {
            "id": account.id,
            "username": account.username,
            "acct": account.username,
            "display_name": account.username.title(),
            "locked": False,
            "bot": False,
            "discoverable": not account.noindex,
            "noindex": account.noindex,
            "created_at": "2025-01-01T00:00:00.000Z",
            "note": "",
            "url": f"{self.base_url}/@{account.username}",
            "uri": f"{self.base_url}/users/{account.username}",
            "avatar": "",
            "header": "",
            "followers_count": account.followers,
            "following_count": 3,
            "statuses_count": len(account.statuses),
            "last_status_at": None,
            "emojis": [],
            "fields": [],
        }
        return entity

    # --- HTTP --------------------------------------------------------------------------

    def account_key(self, request: Request) -> str | None:
        if request.path == "/api/v1/accounts/lookup":
            return request.query.get("acct", "").split("@")[0]
        parts = request.path.split("/")
        if len(parts) == 6 and parts[5] == "statuses" and parts[4] in self._by_id:
            return self._by_id[parts[4]].username
        return None

    def _lookup(self, acct: str) -> FakeMastodonAccount | None:
        """As Mastodon's lookup: a local account by username (with or without this server's
        domain), a remote one by ``user@domain``."""
        try:
            return self.account(acct)
        except KeyError:
            return None

    def limit_headers(self, limit: int, remaining: int, reset: float) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": _iso(datetime.fromtimestamp(reset, UTC)),
        }

    def storm_reset(self) -> float:
        return time.time() + self.storm_wait_s

    def retry_headers(self, reset: float) -> dict[str, str]:
        return {}  # Mastodon's 429 carries the X-RateLimit-* headers only

    def route(self, request: Request) -> Reply:
        parts = request.path.split("/")
        with self._lock:
            for predicate, status in self._failing:
                if predicate(request):
                    return Reply.json({"error": "Failing as asked"}, status)
            if request.path == "/api/v1/accounts/lookup":
                account = self._lookup(request.query.get("acct", ""))
                if account is None:
                    return Reply.json({"error": "Record not found"}, 404)
                return Reply.json(self._account_entity(account))
            if (
                len(parts) == 6
                and parts[:4] == ["", "api", "v1", "accounts"]
                and parts[5] == "statuses"
            ):
                found = self._by_id.get(parts[4])
                if found is None:
                    return Reply.json({"error": "Record not found"}, 404)
                return self._statuses(found, request)
        return Reply.json({"error": "Not found"}, 404)

    def _statuses(self, account: FakeMastodonAccount, request: Request) -> Reply:
        q = request.query
        try:
            limit = max(1, min(40, int(q.get("limit", 20))))
        except ValueError:
            return Reply.json({"error": "limit must be an integer"}, 422)
        key = lambda s: (len(s), s)  # noqa: E731 - numeric ids as strings
        visible = sorted(
            (
                s
                for s in account.statuses.values()
                if s.get("visibility") in ("public", "unlisted") or "visibility" not in s
            ),
            key=lambda s: key(s["id"]),
            reverse=True,
        )
        if "max_id" in q:
            visible = [s for s in visible if key(s["id"]) < key(q["max_id"])]
        if "since_id" in q:
            visible = [s for s in visible if key(s["id"]) > key(q["since_id"])]
        if "min_id" in q:
            newer = [s for s in visible if key(s["id"]) > key(q["min_id"])]
            page = newer[-limit:]  # the statuses right after min_id, still newest first
        else:
            page = visible[:limit]
        headers = {}
        if page:
            base = f"{self.base_url}/api/v1/accounts/{account.id}/statuses"
            older = urlencode({"limit": limit, "max_id": page[-1]["id"]})
            newer_q = urlencode({"limit": limit, "min_id": page[0]["id"]})
            headers["Link"] = f'<{base}?{older}>; rel="next", <{base}?{newer_q}>; rel="prev"'
        return Reply.json(page, **headers)
