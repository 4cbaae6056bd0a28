"""An account registered through another Mastodon server: its opt-out is read at home.

Only the home server says whether a user opted out of indexing (``noindex`` is sent for local
accounts only); another server knows the account as ``user@domain`` without it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pipeline.fakes import FakeMastodon, fake_for
from tests.ingest.conftest import stored


@pytest.fixture
def home() -> Iterator[FakeMastodon]:
    server = fake_for("mastodon", domain="home.test")
    try:
        yield server  # type: ignore[misc]
    finally:
        server.stop()


def test_account_that_opted_out_at_home_is_not_stored_through_another_server(
    fake, home, register, ingest, engine
):
    home.add_account("alice", noindex=True)
    handle = fake.mastodon.add_remote_account("alice", home)
    fake.add_post("mastodon", handle, "Federated to the other server")
    account = register("mastodon", handle)  # registered with the other server as host

    summary = ingest([account.id])

    assert handle == "alice@home.test"
    assert stored(engine) == {}
    assert summary.skipped == {"opted_out": 1}
    assert home.by_account["alice"] == 1  # one lookup at home


def test_account_that_did_not_opt_out_at_home_is_read_from_the_server_registered(
    fake, home, register, ingest, engine
):
    home.add_account("alice")
    handle = fake.mastodon.add_remote_account("alice", home)
    status_id = fake.add_post("mastodon", handle, "Federated to the other server")
    account = register("mastodon", handle)

    summary = ingest([account.id])

    assert stored(engine, account.id) == {status_id: "Federated to the other server"}
    assert home.requests == 1  # the profile only; statuses come from the registered server
    assert summary.requests == 3  # lookup here, lookup at home, one page of statuses


def test_a_local_account_costs_no_request_elsewhere(fake, home, register, ingest):
    handle = fake.add_account("mastodon", "ana")
    fake.add_post("mastodon", handle, "Local")
    account = register("mastodon", handle)

    ingest([account.id])

    assert home.requests == 0
