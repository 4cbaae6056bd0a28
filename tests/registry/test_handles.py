from __future__ import annotations

import pytest

from pipeline.errors import InputError
from pipeline.registry.handles import parse


@pytest.mark.parametrize(
    ("platform", "handle", "host", "expected"),
    [
        ("mastodon", "@ana@Social.Example", None, ("https://social.example", "ana@social.example")),
        (
            "mastodon",
            "ana@social.example",
            "http://127.0.0.1:8081",
            ("http://127.0.0.1:8081", "ana@social.example"),
        ),
        ("Bluesky", "@Ana.bsky.social", None, ("https://public.api.bsky.app", "ana.bsky.social")),
        (
            "bluesky",
            "did:plc:abcdefghijklmnopqrstuvwx",
            None,
            ("https://public.api.bsky.app", "did:plc:abcdefghijklmnopqrstuvwx"),
        ),
        (
            "rss",
            "https://news.example.gc.ca/feed.xml",
            None,
            ("https://news.example.gc.ca", "https://news.example.gc.ca/feed.xml"),
        ),
    ],
)
def test_handles_are_normalized_per_platform(platform, handle, host, expected) -> None:
    address = parse(platform, handle, host)
    assert (address.host, address.handle) == expected


@pytest.mark.parametrize(
    ("platform", "handle", "message"),
    [
        ("myspace", "ana", "unknown platform"),
        ("mastodon", "ana", "needs its instance"),
        ("mastodon", "@a na@social.example", "malformed Mastodon handle"),
        ("mastodon", "@ana@not_a_domain", "malformed Mastodon handle"),
        ("bluesky", "not a handle", "malformed Bluesky handle"),
        ("rss", "ftp://example.org/feed", "malformed feed URL"),
        ("rss", "example.org/feed", "malformed feed URL"),
        ("rss", "  ", "needs a handle"),
    ],
)
def test_malformed_handles_are_rejected_with_a_clear_message(platform, handle, message) -> None:
    with pytest.raises(InputError, match=message):
        parse(platform, handle)
