"""A fake feed server: RSS 2.0 and Atom 1.0 documents with ETag / Last-Modified.

``GET /feeds/<name>`` answers the whole feed, or ``304 Not Modified`` when the request's
``If-None-Match`` (or ``If-Modified-Since``) matches; a 429 carries ``Retry-After``. A feed is
either synthetic (``add_account`` / ``add_post``) or a recorded document served byte for byte
(``serve_document``: a real feed from ``tests/fixtures/feeds``, or a variant derived from one).
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any
from xml.sax.saxutils import escape

from pipeline.fakes.server import FakeHost, Reply, Request


@dataclass
class FakeFeed:
    name: str
    kind: str  # rss | atom
    language: str = "en"
    entries: list[dict[str, Any]] = field(default_factory=list)
    modified: datetime = field(default_factory=lambda: datetime(2026, 1, 1, tzinfo=UTC))


class FakeFeeds(FakeHost):
    platform = "rss"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.feeds: dict[str, FakeFeed] = {}
        self.documents: dict[str, tuple[bytes, str]] = {}
        self._seq = itertools.count(1)
        self._clock = datetime(2026, 1, 1, tzinfo=UTC)

    def add_account(self, name: str, *, kind: str = "rss", language: str = "en") -> str:
        """Create a feed; returns its URL (what an rss account's handle is)."""
        with self._lock:
            self.feeds[name] = FakeFeed(name, kind, language)
        return f"{self.base_url}/feeds/{name}"

    def serve_document(
        self, name: str, body: bytes, *, content_type: str = "application/rss+xml"
    ) -> str:
        """Serve ``body`` as it is at ``/feeds/<name>``; returns its URL. Serving another body
        under the same name replaces it (a new ETag)."""
        with self._lock:
            self.documents[name] = (body, content_type)
        return f"{self.base_url}/feeds/{name}"

    def feed(self, url_or_name: str) -> FakeFeed:
        return self.feeds[url_or_name.rsplit("/", 1)[-1]]

    def add_post(
        self,
        url_or_name: str,
        text: str,
        *,
        title: str = "",
        guid: bool = True,
        link: str | None = None,
    ) -> str:
        """Add an entry; returns its id (guid / atom:id), or its link when ``guid=False``."""
        feed = self.feed(url_or_name)
        with self._lock:
            n = next(self._seq)
            self._clock += timedelta(minutes=1)
            entry_id = f"tag:feeds.test,2026:{feed.name}:{n}"
            entry = {
                "id": entry_id if guid else None,
                "title": title or f"Entry {n}",
                "text": text,
                "link": link or f"https://feeds.test/{feed.name}/{n}",
                "published": self._clock,
                "updated": self._clock,
            }
            feed.entries.append(entry)
            feed.modified = self._clock
        return entry_id if guid else entry["link"]

    def edit_post(self, url_or_name: str, entry_id: str, text: str) -> None:
        feed = self.feed(url_or_name)
        with self._lock:
            self._clock += timedelta(minutes=1)
            for entry in feed.entries:
                if entry_id in (entry["id"], entry["link"]):
                    entry.update(text=text, updated=self._clock)
            feed.modified = self._clock

    def account_key(self, request: Request) -> str | None:
        name = request.path.rsplit("/", 1)[-1]
        return name if name in self.feeds or name in self.documents else None

    def route(self, request: Request) -> Reply:
        with self._lock:
            document = self.documents.get(request.path.rsplit("/", 1)[-1])
        if document is not None and request.path.startswith("/feeds/"):
            return self._document(request, *document)
        with self._lock:
            feed = self.feeds.get(request.path.rsplit("/", 1)[-1])
            if feed is None or not request.path.startswith("/feeds/"):
                return Reply(404, b"not found", {"Content-Type": "text/plain"})
            body = (self._atom(feed) if feed.kind == "atom" else self._rss(feed)).encode()
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            modified = format_datetime(feed.modified, usegmt=True)
        headers = {
            "ETag": etag,
            "Last-Modified": modified,
            "Content-Type": "application/atom+xml"
            if feed.kind == "atom"
            else "application/rss+xml; charset=utf-8",
        }
        if self._not_modified(request, etag, feed.modified):
            return Reply(304, b"", headers)
        return Reply(200, body, headers)

    def _document(self, request: Request, body: bytes, content_type: str) -> Reply:
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        headers = {"ETag": etag, "Content-Type": content_type}
        if request.headers.get("If-None-Match") == etag:
            return Reply(304, b"", headers)
        return Reply(200, body, headers)

    @staticmethod
    def _not_modified(request: Request, etag: str, modified: datetime) -> bool:
        match = request.headers.get("If-None-Match")
        if match is not None:
            return etag in [m.strip() for m in match.split(",")]
        since = request.headers.get("If-Modified-Since")
        if since:
            try:
                return modified <= parsedate_to_datetime(since)
            except (TypeError, ValueError):
                return False
        return False

    def _rss(self, feed: FakeFeed) -> str:
        items = "".join(
            "<item>"
            f"<title>{escape(e['title'])}</title><link>{escape(e['link'])}</link>"
            + (f'<guid isPermaLink="false">{escape(e["id"])}</guid>' if e["id"] else "")
            + f"<description>{escape('<p>' + escape(e['text']) + '</p>')}</description>"
            f"<pubDate>{format_datetime(e['published'], usegmt=True)}</pubDate>"
            "</item>"
            for e in reversed(feed.entries)
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>{escape(feed.name)}</title><link>https://feeds.test/{feed.name}</link>"
            f"<description>Synthetic feed</description><language>{feed.language}</language>"
            f"{items}</channel></rss>"
        )

    def _atom(self, feed: FakeFeed) -> str:
        def stamp(at: datetime) -> str:
            return at.isoformat().replace("+00:00", "Z")

        entries = "".join(
            "<entry>"
            f'<title>{escape(e["title"])}</title><link href="{escape(e["link"])}"/>'
            f"<id>{escape(e['id'] or e['link'])}</id>"
            f"<published>{stamp(e['published'])}</published><updated>{stamp(e['updated'])}</updated>"
            f'<content type="html">{escape("<p>" + escape(e["text"]) + "</p>")}</content>'
            "</entry>"
            for e in reversed(feed.entries)
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?>'
            f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{feed.language}">'
            f"<title>{escape(feed.name)}</title><id>urn:feed:{feed.name}</id>"
            f"<updated>{stamp(feed.modified)}</updated>{entries}</feed>"
        )
