"""RSS and Atom feeds: feedparser over a conditional GET (``ETag`` / ``Last-Modified``).

A ``304 Not Modified`` means nothing to do. The document is decoded first
(:mod:`pipeline.ingest.sources.feed_document`: one bad byte spoils only itself), then parsed
leniently: what feedparser recovers from a not-well-formed feed (an undefined entity such as
``&nbsp;``, a bare ``&``) is stored, and the account records a warning with the reason. A
body whose root element never closes was cut short or garbled on the way: a transient error,
asked again, rather than half a feed stored under its ``ETag``. Only a whole body with nothing
to recover (not a feed) is a permanent error: asking again tonight would get the same answer.

Each entry is a post whose parts are its title and text (the title as the first paragraph),
its Media RSS descriptions, and its link as the post's URL (made absolute against the feed's
URL; only ``http(s)`` links are kept). Entries are keyed by their id (``guid`` / ``atom:id``),
else their link, else a hash of their content; a second, different entry under a key already
seen is keyed by that key and its content hash, and an identical repeat is skipped. An entry
is edited when its content changes (the store compares content hashes); ``edited_at`` is its
``updated`` time only when that is more than a minute after ``published``, since feeds often
stamp both when publishing.
"""

from __future__ import annotations

import calendar
import html
import xml.sax
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
import requests

from pipeline.ingest.sources import feed_document
from pipeline.ingest.sources.base import AccountState, Batch, FetchedPost
from pipeline.ingest.sources.http import HostClient, PermanentError, TransientError
from pipeline.ingest.sources.parts import Media, Parts, flatten
from pipeline.ingest.sources.text import content_hash, html_to_text

EDIT_AFTER = timedelta(seconds=60)  # an `updated` this close to `published` is not an edit


@dataclass
class ParsedFeed:
    entries: list[Any]
    media: list[list[Media]] | None  # per entry, when the document's items matched them
    language: str | None
    url: str
    etag: str | None
    last_modified: str | None
    warning: str | None


def _parse(response: requests.Response) -> ParsedFeed | None:
    if response.status_code == 304:
        return None
    decoded = feed_document.decode(response.content, response.headers.get("Content-Type"))
    headers = {"content-location": response.url, **feed_document.UTF8_HEADERS}
    if response.headers.get("Content-Language"):
        headers["content-language"] = response.headers["Content-Language"]
    parsed = feedparser.parse(decoded.data, response_headers=headers)
    error = parsed.get("bozo_exception") if parsed.bozo else None
    xml_error = error if isinstance(error, xml.sax.SAXException) else None
    if xml_error is not None and not feed_document.complete(decoded.data):
        # Cut short or garbled in transit, most likely: ask again rather than store part of it.
        raise TransientError(f"the feed at {response.url} ends before its end ({xml_error})")
    if not parsed.get("version") and not parsed.entries:
        reason = f" ({xml_error})" if xml_error else ""
        raise PermanentError(f"{response.url} did not answer with an RSS or Atom feed{reason}")
    entries = list(parsed.entries)
    warnings = list(decoded.warnings)
    if xml_error is not None:
        warnings.append(f"the feed is not well-formed XML ({xml_error}): read leniently")
    found = feed_document.media_by_item(decoded.data)
    media = None
    if found is not None and len(found) == len(entries):  # else items are not matched
        media = [feed_document.as_media(item) for item in found]
    return ParsedFeed(
        entries=entries,
        media=media,
        language=parsed.feed.get("language") if parsed.get("feed") else None,
        url=response.url,
        etag=response.headers.get("ETag"),
        last_modified=response.headers.get("Last-Modified"),
        warning="; ".join(warnings) or None,
    )


def _time(struct: Any) -> datetime | None:
    return datetime.fromtimestamp(calendar.timegm(struct), UTC) if struct else None


def _as_text(detail: Any, value: str) -> str:
    """An entry field as plain text: HTML rendered; plain text with stray entities decoded."""
    kind = (detail or {}).get("type", "text/html") if isinstance(detail, dict) else "text/html"
    if "html" in kind:
        return html_to_text(value)
    return html.unescape(value).strip()


def web_link(link: object, base: str) -> str | None:
    """The link made absolute against ``base``; ``None`` unless it is http(s)."""
    if not isinstance(link, str) or not link.strip():
        return None
    absolute = urljoin(base, link.strip())
    parts = urlsplit(absolute)
    return absolute if parts.scheme in ("http", "https") and parts.netloc else None


def _body(entry: Any, media: list[Media]) -> str:
    """The entry's content, else its summary. feedparser files a Media RSS description as
    content or summary too: a text that is one of the media's descriptions is not the body."""
    descriptions = {m.description for m in media}
    candidates = [(c, c.get("value", "")) for c in entry.get("content") or []]
    candidates.append((entry.get("summary_detail"), entry.get("summary", "")))
    for detail, value in candidates:
        text = _as_text(detail, value)
        if text and text not in descriptions:
            return text
    return ""


def _key(entry: Any, text: str, seen: dict[str, str], skipped: Counter[str]) -> str | None:
    digest = content_hash(text)
    key = entry.get("id") or entry.get("link")
    if not isinstance(key, str) or not key.strip():
        key = f"sha256:{digest[:32]}"
    key = key.strip()[:480]
    if key in seen:
        if seen[key] == digest:
            skipped["duplicate_entry"] += 1
            return None
        key = f"{key}#{digest[:16]}"
        if key in seen:
            skipped["duplicate_entry"] += 1
            return None
    seen[key] = digest
    return key


def convert(
    entry: Any,
    feed: ParsedFeed,
    media: list[Media],
    seen: dict[str, str],
    skipped: Counter[str],
    fetched_at: datetime,
) -> FetchedPost | None:
    title = _as_text(entry.get("title_detail"), entry.get("title", ""))
    body = _body(entry, media)
    media = [m for m in media if m.description != title]
    parts = Parts(body="\n\n".join(p for p in (title, body) if p), media=media)
    if not parts.has_text():
        skipped["no_text"] += 1
        return None
    key = _key(entry, flatten(parts), seen, skipped)
    if key is None:
        return None
    published = _time(entry.get("published_parsed"))
    updated = _time(dict.get(entry, "updated_parsed"))  # no feedparser fallback
    edited = published is not None and updated is not None and updated - published > EDIT_AFTER
    content = entry.get("content") or [{}]
    return FetchedPost(
        external_id=key,
        text="",
        parts=parts,
        published_at=published or updated or fetched_at,
        edited_at=updated if edited else None,
        url=web_link(entry.get("link"), feed.url),
        lang=content[0].get("language") or feed.language,
    )


def fetch(client: HostClient, state: AccountState) -> Iterator[Batch]:
    headers = {}
    if state.etag:
        headers["If-None-Match"] = state.etag
    if state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    feed = client.fetch(state.handle, _parse, headers=headers)
    if feed is None:
        yield Batch(etag=state.etag, last_modified=state.last_modified, status="not_modified")
        return
    batch = Batch(
        etag=feed.etag,
        last_modified=feed.last_modified,
        profile_fetched=True,
        warning=feed.warning,
    )
    seen: dict[str, str] = {}
    now = datetime.now(UTC)
    for i, entry in enumerate(feed.entries):
        media = feed.media[i] if feed.media is not None else []
        post = convert(entry, feed, media, seen, batch.skipped, now)
        if post is not None:
            batch.posts.append(post)
    yield batch
