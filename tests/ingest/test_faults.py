"""Every fault the fakes inject leaves the same stored posts as a run without faults."""

from __future__ import annotations

import pytest

from pipeline.fakes import FAULTS
from tests.ingest.conftest import stored

PLATFORMS = ("mastodon", "bluesky", "rss")


def _publish(fake, register, platform: str, name: str, posts: int) -> tuple[int, set[str]]:
    handle = fake.add_account(platform, name)
    ids = {fake.add_post(platform, handle, f"{name} says {i}") for i in range(posts)}
    return register(platform, handle).id, ids


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("fault", FAULTS)
def test_injected_fault_is_retried_and_the_stored_set_is_complete(
    platform, fault, fake, register, ingest, engine
):
    account_id, expected = _publish(fake, register, platform, "ana", 45)
    fake.inject(platform, fault, count=2)

    summary = ingest([account_id])

    assert set(stored(engine, account_id)) == expected
    assert summary.errors == {}
    # a slow answer is not retried: the one feed request takes one of the two faults
    assert fake.servers[platform].faults[fault] == (
        1 if (platform, fault) == ("rss", "slow") else 2
    )


def test_random_faults_on_every_platform_store_what_a_clean_run_stores(
    fake, register, ingest, engine
):
    expected: set[str] = set()
    ids = []
    for platform in PLATFORMS:
        for n in range(3):
            account_id, posts = _publish(fake, register, platform, f"{platform[:3]}{n}", 12)
            ids.append(account_id)
            expected |= posts
    fake.set_faults(0.3, ("5xx", "malformed", "truncated", "429", "slow"))

    first = ingest(ids)
    again = ingest(ids)

    assert set(stored(engine)) == expected
    assert first.errors == {} and again.new_posts == 0
    assert sum(sum(s.faults.values()) for s in fake.servers.values()) > 0


def test_account_that_fails_part_way_resumes_from_its_last_committed_page(
    fake, register, ingest, engine
):
    account_id, expected = _publish(fake, register, "mastodon", "ana", 100)
    statuses_requests = []
    broken = [True]

    def break_after_first_page(request) -> None:
        if request.path.endswith("/statuses"):
            statuses_requests.append(request)
            if broken[0] and len(statuses_requests) > 1:
                fake.inject("mastodon", "5xx")  # answers this very request

    fake.mastodon.hooks.append(break_after_first_page)

    failed = ingest([account_id], http_retries=1)
    part = set(stored(engine, account_id))
    broken[0] = False
    resumed = ingest([account_id])

    assert failed.errors == {fake.host("mastodon").split("://")[1]: 1}
    assert len(part) == 40  # the first page, committed with its cursor
    assert set(stored(engine, account_id)) == expected
    assert resumed.new_posts == 60
