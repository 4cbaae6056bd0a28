"""Fake social platforms for tests, benchmarks and the demo: real HTTP servers on 127.0.0.1.

    with FakePlatforms() as fake:
        handle = fake.add_account("mastodon", "ana")
        fake.add_post("mastodon", handle, "A synthetic post we wrote.")
        host = fake.host("mastodon")  # register the account with this host

Posts they serve are synthetic text supplied by the caller. Each server enforces a request
rate limit when given one (``rate_limit=(requests, seconds)``) and injects faults on demand
(``inject``) or at random (``set_faults``): 5xx, timeouts, slow answers, malformed JSON,
truncated bodies and 429 storms.
"""

from __future__ import annotations

from typing import Any

from pipeline.fakes.bluesky import FakeBluesky
from pipeline.fakes.feeds import FakeFeeds
from pipeline.fakes.mastodon import FakeMastodon
from pipeline.fakes.server import FAULTS, FakeHost

__all__ = [
    "FAULTS",
    "FakeBluesky",
    "FakeFeeds",
    "FakeHost",
    "FakeMastodon",
    "FakePlatforms",
    "fake_for",
]

_KINDS: dict[str, type[FakeHost]] = {
    "mastodon": FakeMastodon,
    "bluesky": FakeBluesky,
    "rss": FakeFeeds,
}


def fake_for(platform: str, **kwargs: Any) -> FakeHost:
    """A started fake server for ``platform`` (mastodon, bluesky or rss)."""
    return _KINDS[platform](**kwargs)


class FakePlatforms:
    """One fake Mastodon, one fake Bluesky AppView and one fake feed host."""

    def __init__(
        self, *, rate_limit: tuple[int, float] | None = None, seed: int = 0, **kwargs: Any
    ) -> None:
        self.servers: dict[str, FakeHost] = {}
        try:
            for i, platform in enumerate(_KINDS):
                self.servers[platform] = fake_for(
                    platform, rate_limit=rate_limit, seed=seed + i, **kwargs
                )
        except Exception:
            self.stop()
            raise

    @property
    def mastodon(self) -> FakeMastodon:
        return self.servers["mastodon"]  # type: ignore[return-value]

    @property
    def bluesky(self) -> FakeBluesky:
        return self.servers["bluesky"]  # type: ignore[return-value]

    @property
    def rss(self) -> FakeFeeds:
        return self.servers["rss"]  # type: ignore[return-value]

    def host(self, platform: str) -> str:
        """The base URL to register accounts of ``platform`` with (``--host``)."""
        return self.servers[platform].base_url

    def add_account(self, platform: str, name: str, **kwargs: Any) -> str:
        """Create an account; returns its handle (the feed URL for rss)."""
        return self.servers[platform].add_account(name, **kwargs)  # type: ignore[attr-defined]

    def add_post(self, platform: str, handle: str, text: str, **kwargs: Any) -> str:
        """Publish a synthetic post; returns the id the platform gives it."""
        return self.servers[platform].add_post(handle, text, **kwargs)  # type: ignore[attr-defined]

    def set_rate_limit(self, rate_limit: tuple[int, float] | None) -> None:
        for server in self.servers.values():
            server.rate_limit = rate_limit

    def set_faults(self, rate: float, kinds: tuple[str, ...] = FAULTS) -> None:
        for server in self.servers.values():
            server.set_faults(rate, kinds)

    def inject(self, platform: str, kind: str, count: int = 1, path_contains: str = "") -> None:
        self.servers[platform].inject(kind, count, path_contains)

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()

    def __enter__(self) -> FakePlatforms:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
