"""RSS and Atom feeds: feedparser over a conditional GET (``ETag`` / ``Last-Modified``).

A ``304 Not Modified`` means nothing to do. Entries are identified by their id (``guid`` /
``atom:id``), else their link; every entry of a changed feed is upserted, so an entry whose
text changed counts as an edit and an unchanged one costs nothing.
"""

from __future__ import annotations

import calendar
import xml.sax
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import feedparser
import requests

from pipeline.ingest.sources.base import AccountState, Batch, FetchedPost
from pipeline.ingest.sources.http import HostClient, TransientError
from pipeline.ingest.sources.text import html_to_text


def _parse(response: requests.Response) -> Any:
    if response.status_code == 304:
        return None
    parsed = feedparser.parse(response.content, response_headers=dict(response.headers))
    if parsed.bozo and isinstance(parsed.get("bozo_exception"), xml.sax.SAXException):
        # A truncated or garbled body: retry rather than store half a feed under its ETag.
        raise TransientError(f"feed at {response.url} is not well-formed XML")
    if not parsed.get("version") and not parsed.entries:
        raise TransientError(f"{response.url} did not answer with an RSS or Atom feed")
    return parsed, response.headers.get("ETag"), response.headers.get("Last-Modified")


def _time(struct: Any) -> datetime | None:
    return datetime.fromtimestamp(calendar.timegm(struct), UTC) if struct else None


def convert(
    entry: Any, language: str | None, seen: set[str], skipped: Counter[str], fetched_at: datetime
) -> FetchedPost | None:
    key = entry.get("id") or entry.get("link")
    if not key or not isinstance(key, str):
        skipped["malformed_item"] += 1
        return None
    if key in seen:
        skipped["duplicate_entry"] += 1
        return None
    seen.add(key)
    body = ""
    if entry.get("content"):
        body = entry["content"][0].get("value", "")
    body = body or entry.get("summary", "")
    title = entry.get("title", "")
    text = "\n\n".join(part for part in (title, html_to_text(body)) if part).strip()
    if not text:
        skipped["no_text"] += 1
        return None
    published = _time(entry.get("published_parsed"))
    updated = _time(dict.get(entry, "updated_parsed"))  # no feedparser fallback
    return FetchedPost(
        external_id=key[:512],
        text=text,
        published_at=published or updated or fetched_at,
        edited_at=updated if published and updated and updated > published else None,
        url=entry.get("link"),
        lang=(entry.get("content", [{}])[0].get("language") if entry.get("content") else None)
        or language,
    )


def fetch(client: HostClient, state: AccountState) -> Iterator[Batch]:
    headers = {}
    if state.etag:
        headers["If-None-Match"] = state.etag
    if state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    result = client.fetch(state.handle, _parse, headers=headers)
    if result is None:
        yield Batch(etag=state.etag, last_modified=state.last_modified, status="not_modified")
        return
    parsed, etag, last_modified = result
    batch = Batch(etag=etag, last_modified=last_modified, profile_fetched=True)
    language = parsed.feed.get("language") if parsed.get("feed") else None
    seen: set[str] = set()
    now = datetime.now(UTC)
    for entry in parsed.entries:
        post = convert(entry, language, seen, batch.skipped, now)
        if post is not None:
            batch.posts.append(post)
    yield batch
