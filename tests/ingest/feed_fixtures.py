"""Real-world feeds recorded in ``tests/fixtures/feeds`` (sources in its README), and a way
to read one through the RSS/Atom connector as served by the fake feed host."""

from __future__ import annotations

from pathlib import Path

from pipeline.config import Settings
from pipeline.fakes import FakePlatforms
from pipeline.ingest.sources import feeds
from pipeline.ingest.sources.base import AccountState, Batch
from pipeline.ingest.sources.http import HostClient

FEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "feeds"
RSS, ATOM = "application/rss+xml", "application/atom+xml"

# file: (Content-Type served, posts stored: every entry with text, identical repeats once)
REAL_FEEDS: dict[str, tuple[str, int]] = {
    "scriptingNews.rss": (RSS, 50),
    "OneFootTsunami.atom": (ATOM, 25),
    "macworld.rss": (RSS, 30),
    "kc0011.rss": (RSS, 20),
    "EMarley.rss": (RSS, 10),
    "manton.rss": (RSS, 10),
    "theomnishow.rss": (RSS, 4),
    "encoding_WINDOWS-1251.xml": (RSS, 50),
    "encoding_ISO-8859-1.xml": (RSS, 40),
    "no_encoding_ISO-8859-1.xml": ("text/xml", 9),
    "urdu_UTF8.xml": (RSS, 26),
    "small_atom.xml": (ATOM, 20),
    "rdf_UTF8.xml": ("application/rdf+xml", 60),
    "intertwingly.atom": (ATOM, 20),
    "mediacontent-dupes.xml": (RSS, 1),
    "iconv.xml": (RSS, 10),
    "rss092.xml": ("text/xml", 21),
}


def fixture(name: str) -> bytes:
    return (FEEDS / name).read_bytes()


def serve(fake: FakePlatforms, name: str, body: bytes | None = None) -> str:
    """Serve a recorded feed (or a variant of it) from the fake feed host; returns its URL."""
    content_type = REAL_FEEDS.get(name, ("text/html", 0))[0]
    stem = name.replace(".", "-")
    return fake.rss.serve_document(
        stem, fixture(name) if body is None else body, content_type=content_type
    )


def client_settings() -> Settings:
    return Settings(
        http_timeout_connect_s=1.0,
        http_timeout_read_s=5.0,
        http_backoff_s=0.01,
        http_retries=2,
        rate_limits={"rss": "1000/1"},
    )


def read(fake: FakePlatforms, url: str, *, etag: str | None = None) -> Batch:
    """The one batch the connector yields for the feed at ``url``."""
    host = fake.host("rss")
    client = HostClient(host, "rss", client_settings())
    try:
        batches = list(feeds.fetch(client, AccountState(1, "rss", host, url, etag=etag)))
    finally:
        client.close()
    assert len(batches) == 1
    return batches[0]
