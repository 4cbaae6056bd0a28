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


def test_unreachable_host_is_given_up_after_a_few_accounts(fake, register, ingest, engine):
    ids = []
    for n in range(6):
        handle = fake.add_account("mastodon", f"user{n}")
        fake.add_post("mastodon", handle, "Never fetched")
        ids.append(register("mastodon", handle).id)
    host = fake.host("mastodon")
    fake.mastodon.stop()  # connections are refused from now on

    summary = ingest(ids, http_retries=1)

    assert summary.errors == {host.split("://")[1]: 6}
    assert summary.accounts == 6
    assert summary.requests == 3 * 2  # three accounts, two attempts each, then the host is down
    assert stored(engine) == {}


def test_account_gone_from_its_instance_is_skipped_not_failed(fake, register, ingest):
    account = register("mastodon", "vanished@mastodon.test")

    summary = ingest([account.id])

    assert summary.errors == {}
    assert summary.skipped == {"account_not_found": 1}
