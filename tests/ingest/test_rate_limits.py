"""Rate limits: the client keeps within them and honors the servers' 429 headers."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from pipeline.config import Settings
from pipeline.ingest.sources.http import RateLimit, rate_limit_for, retry_after, server_limits
from tests.ingest.conftest import stored


def _accounts(fake, register, platform: str, count: int) -> tuple[list[int], set[str]]:
    ids, posts = [], set()
    for n in range(count):
        handle = fake.add_account(platform, f"user{n}")
        posts.add(fake.add_post(platform, handle, f"Post of user {n}"))
        ids.append(register(platform, handle).id)
    return ids, posts


@pytest.mark.parametrize("platform", ["mastodon", "bluesky", "rss"])
def test_client_paced_by_its_configured_limit_gets_no_429(platform, fake, register, ingest, engine):
    ids, posts = _accounts(fake, register, platform, 6)
    server = fake.servers[platform]
    server.rate_limit = (4, 0.3)

    summary = ingest(ids, rate_limits={platform: "4/0.3"})

    assert set(stored(engine)) == posts
    assert server.http_429 == 0
    assert server.served == summary.requests > 4


def test_client_configured_too_fast_waits_for_the_reset_mastodon_announces(
    fake, register, ingest, engine
):
    ids, posts = _accounts(fake, register, "mastodon", 6)
    fake.mastodon.rate_limit = (5, 0.4)

    summary = ingest(ids, rate_limits={"mastodon": "1000/1"})

    assert set(stored(engine)) == posts
    # X-RateLimit-Remaining: 0 with an exact X-RateLimit-Reset: waited for before any 429
    assert fake.mastodon.http_429 == summary.http_429 == 0
    assert summary.errors == {}


def test_client_configured_too_fast_honors_bluesky_whole_second_resets(
    fake, register, ingest, engine
):
    ids, posts = _accounts(fake, register, "bluesky", 6)
    fake.bluesky.rate_limit = (5, 0.4)

    summary = ingest(ids, rate_limits={"bluesky": "1000/1"})

    assert set(stored(engine)) == posts
    assert summary.errors == {}
    # RateLimit-Reset has whole seconds: at most one early try per window gets a 429
    windows = -(-fake.bluesky.served // 5)
    assert fake.bluesky.http_429 == summary.http_429 <= windows


@pytest.mark.parametrize("platform", ["mastodon", "bluesky", "rss"])
def test_429_storm_is_waited_out(platform, fake, register, ingest, engine):
    ids, posts = _accounts(fake, register, platform, 2)
    fake.inject(platform, "429", count=5)

    summary = ingest(ids)

    assert set(stored(engine)) == posts
    assert summary.http_429 == fake.servers[platform].http_429 == 5
    assert summary.errors == {}


def test_rate_limit_setting_by_host_wins_over_platform():
    settings = Settings(rate_limits={"mastodon": "300/300", "social.example": "10/1"})
    assert rate_limit_for(settings, "mastodon", "https://social.example") == RateLimit(10, 1.0)
    assert rate_limit_for(settings, "mastodon", "https://other.example") == RateLimit(300, 300.0)
    with pytest.raises(ValueError, match="REQUESTS/SECONDS"):
        RateLimit.parse("fast")


def test_rate_limit_headers_of_each_platform_are_understood():
    now = time.time()
    mastodon = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "2026-11-25T12:00:00.500Z"}
    assert server_limits(mastodon, now) == (
        0,
        datetime(2026, 11, 25, 12, 0, 0, 500000, UTC).timestamp(),
    )
    assert server_limits({"RateLimit-Remaining": "7", "RateLimit-Reset": "1900000000"}, now) == (
        7,
        1900000000.0,
    )
    assert server_limits({"RateLimit": '"default";r=0;t=5'}, now) == (0, now + 5)
    assert retry_after({"Retry-After": "3"}, now) == now + 3
    later = datetime(2030, 1, 1, tzinfo=UTC)
    assert retry_after({"Retry-After": format_datetime(later, usegmt=True)}, now) == (
        later.timestamp()
    )
