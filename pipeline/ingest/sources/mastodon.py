"""Mastodon: ``GET /api/v1/accounts/lookup`` and ``GET /api/v1/accounts/:id/statuses``.

The cursor is the newest stored status id. An ordinary night costs one request per account:
the newest page (``limit=40``) holds every new status and also shows recent ``edited_at``
changes. When that page is all new (more than 40 new statuses), the connector pages forward
from the cursor with ``min_id`` and the ``Link: rel="prev"`` URLs, committing after each page,
so a page that keeps failing loses nothing before it: the next run resumes from the last
committed page. Only ``public`` statuses are kept, each with its whole message
(``mastodon_status``); reblogs are skipped.

An account that opted out of indexing (``noindex``) is not stored at all. ``noindex`` is known
only to the account's home server: for an account registered through another server (its
``acct`` there is ``user@domain``), the profile is looked up on its home server too, found from
the account's ActivityPub ``uri``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import requests

from pipeline.ingest.sources.base import AccountState, Batch, OptedOut
from pipeline.ingest.sources.http import HostClient, PermanentError, TransientError, json_body
from pipeline.ingest.sources.mastodon_status import convert, web_url

__all__ = ["PAGE", "convert", "fetch"]

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


def _lookup(client: HostClient, acct: str) -> dict[str, Any]:
    account = client.fetch("/api/v1/accounts/lookup", json_body, params={"acct": acct})
    if not isinstance(account, dict) or not account.get("id"):
        raise TransientError(f"malformed account lookup for {acct} on {client.host}")
    if account.get("suspended"):
        raise PermanentError(f"account {acct} is suspended on {client.host}")
    return account


def _opted_out(client: HostClient, handle: str, account: dict[str, Any]) -> bool:
    """Whether the account asks not to be indexed, as its home server says."""
    acct = account.get("acct")
    if not isinstance(acct, str) or "@" not in acct:
        return bool(account.get("noindex"))  # a local account: this server is its home
    home = _home(account)
    if home is None:
        raise PermanentError(
            f"{handle} is not local to {client.host} and its home server is unknown: "
            "register it with its home server as host"
        )
    home_client = HostClient(home, "mastodon", client.settings)
    try:
        at_home = _lookup(home_client, acct.split("@", 1)[0])
    finally:
        client.requests += home_client.requests
        client.http_429 += home_client.http_429
        home_client.close()
    return bool(at_home.get("noindex"))


def _home(account: dict[str, Any]) -> str | None:
    """The home server's base URL, from the account's ActivityPub id (or its profile URL)."""
    url = web_url(account.get("uri")) or web_url(account.get("url"))
    if url is None:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _batch(statuses: list[Any], cursor: str | None, host: str) -> Batch:
    batch = Batch(cursor=cursor, keep_cursor=False)
    for status in statuses:
        status_id = status.get("id") if isinstance(status, dict) else None
        seen = isinstance(status_id, str) and cursor and _id_key(status_id) <= _id_key(cursor)
        # statuses already seen are re-read only for edits: do not count their skips again
        post = convert(status, Counter() if seen else batch.skipped, host=host)
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
        if _opted_out(client, state.handle, account):
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
            batch = _batch(statuses, state.cursor, client.host)
            yield _with_profile(batch, profile)
            return
    # Page forward from the cursor (or from the first status): each page is committed.
    url, params = path, {"min_id": state.cursor or "0", "limit": PAGE}
    cursor = state.cursor
    while True:
        statuses, links = client.fetch(url, _page, params=params)
        batch = _with_profile(_batch(statuses, cursor, client.host), profile)
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
