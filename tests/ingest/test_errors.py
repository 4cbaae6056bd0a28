"""Failures by kind: what is asked again, what counts toward a host being down, what an
account keeps. Error answers are replayed from real servers' recordings (tests/fixtures/errors)."""

from __future__ import annotations

import itertools
import json
import tracemalloc
from pathlib import Path

import pytest
import sqlalchemy as sa

from pipeline.db.models import SourceCursor
from pipeline.fakes.cassettes import recorded_reply
from pipeline.fakes.server import Reply
from pipeline.ingest.sources.http import (
    HostClient,
    HttpError,
    PermanentError,
    RateLimitedError,
    TooLargeError,
    TransientError,
    json_body,
)
from tests.ingest.conftest import stored

ERRORS = Path(__file__).parents[1] / "fixtures" / "errors"
UNAUTHENTICATED = ERRORS / "test_home_tl_anonymous_throws.yaml"  # 401 from a Mastodon server
LOOKUP = ERRORS / "test_account_lookup.yaml"  # a found account (200), then a 404
LIMIT = 1_000_000
TWENTY_MB = 20_000_000


def recorded_401(_request) -> Reply:
    return recorded_reply(UNAUTHENTICATED, "/api/v1/timelines/home", status=401)


def huge_statuses(*, chunked: bool):
    """20 MB of statuses: a real recorded account entity, repeated (built at run time)."""
    entity = recorded_reply(LOOKUP, "/api/v1/accounts/lookup", status=200).body
    count = TWENTY_MB // (len(entity) + 1) + 1

    def reply(_request) -> Reply:
        headers = {"Content-Type": "application/json"}
        if not chunked:
            return Reply(200, b"[" + b",".join([entity] * count) + b"]", headers)
        pieces = (b"[" + entity if i == 0 else b"," + entity for i in range(count))
        return Reply(200, headers=headers, chunks=itertools.chain(pieces, [b"]"]))

    return reply


def last_error(engine, account_id: int) -> tuple[str | None, dict | None]:
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(SourceCursor.last_status, SourceCursor.last_error).where(
                SourceCursor.account_id == account_id
            )
        ).one()
    return row.last_status, row.last_error


def on_statuses(request) -> bool:
    return request.path.endswith("/statuses")


def test_a_chunked_answer_over_the_limit_is_read_no_further(fake, settings):
    handle = fake.add_account("mastodon", "big")
    fake.mastodon.answer_when(on_statuses, huge_statuses(chunked=True))
    client = HostClient(
        fake.host("mastodon"), "mastodon", settings.model_copy(update={"max_response_bytes": LIMIT})
    )
    account_id = fake.mastodon.account(handle).id

    tracemalloc.start()
    try:
        with pytest.raises(TooLargeError) as raised:
            client.fetch(f"/api/v1/accounts/{account_id}/statuses", json_body)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        client.close()

    assert isinstance(raised.value, PermanentError)
    assert "over the limit of 1,000,000 bytes (IMPARTIAL_MAX_RESPONSE_BYTES)" in str(raised.value)
    assert LIMIT < client.bytes_read <= LIMIT + 65_536
    assert peak < 4 * LIMIT  # nowhere near the 20 MB sent
    assert client.requests == 1  # permanent: not asked again


def test_an_announced_length_over_the_limit_is_refused_without_reading(fake, settings):
    handle = fake.add_account("mastodon", "big")
    fake.mastodon.answer_when(on_statuses, huge_statuses(chunked=False))
    client = HostClient(
        fake.host("mastodon"), "mastodon", settings.model_copy(update={"max_response_bytes": LIMIT})
    )

    with pytest.raises(TooLargeError, match="announces 20,"):
        client.fetch(f"/api/v1/accounts/{fake.mastodon.account(handle).id}/statuses", json_body)
    client.close()

    assert client.bytes_read == 0


def test_an_answer_under_the_limit_reads_as_before(fake, settings):
    handle = fake.add_account("mastodon", "small")
    fake.add_post("mastodon", handle, "Hello")
    client = HostClient(fake.host("mastodon"), "mastodon", settings)

    statuses = client.fetch(
        f"/api/v1/accounts/{fake.mastodon.account(handle).id}/statuses", json_body
    )
    client.close()

    assert [s["content"] for s in statuses] == ["<p>Hello</p>"]
    assert client.bytes_read > 0


def test_a_4xx_answer_is_permanent_and_keeps_the_platforms_words(fake, settings):
    fake.mastodon.answer_when(lambda r: "lookup" in r.path, recorded_401)
    client = HostClient(fake.host("mastodon"), "mastodon", settings)

    with pytest.raises(HttpError) as raised:
        client.fetch("/api/v1/accounts/lookup", json_body, params={"acct": "ana"})
    client.close()

    assert isinstance(raised.value, PermanentError) and raised.value.status == 401
    assert raised.value.error == "The access token is invalid"
    assert client.requests == 1


def test_429_past_its_tolerance_is_transient_and_not_retried_in_the_same_fetch(fake, settings):
    fake.mastodon.answer_when(
        lambda r: "lookup" in r.path,
        lambda r: Reply.json({"error": "Too many requests"}, 429, **{"Retry-After": "0"}),
    )
    client = HostClient(
        fake.host("mastodon"), "mastodon", settings.model_copy(update={"http_max_429": 2})
    )

    with pytest.raises(RateLimitedError) as raised:
        client.fetch("/api/v1/accounts/lookup", json_body, params={"acct": "ana"})
    client.close()

    assert isinstance(raised.value, TransientError) and raised.value.status == 429
    # two 429 answers tolerated, the third given up on (a slow answer retried on a loaded
    # machine may add a request, never a 429)
    assert client.http_429 == 3


def test_an_oversized_account_fails_permanently_and_the_next_account_is_read(
    fake, register, ingest, engine
):
    big = fake.add_account("mastodon", "big")
    fake.add_post("mastodon", big, "never read")
    fine = fake.add_account("mastodon", "fine")
    fake.add_post("mastodon", fine, "read")
    fake.mastodon.answer_when(
        lambda r: on_statuses(r) and fake.mastodon.account_key(r) == "big",
        huge_statuses(chunked=True),
    )
    ids = [register("mastodon", big).id, register("mastodon", fine).id]

    summary = ingest(ids, max_response_bytes=LIMIT)

    assert list(stored(engine).values()) == ["read"]
    assert summary.errors_by_kind == {"permanent": 1}
    assert fake.mastodon.by_account["big"] == 2  # lookup, then statuses once: no retry
    status, error = last_error(engine, ids[0])
    assert status == "failed" and error["kind"] == "permanent"
    assert "IMPARTIAL_MAX_RESPONSE_BYTES" in error["reason"]


def test_permanent_failures_are_requested_once_and_never_take_the_host_down(
    fake, register, ingest, engine
):
    refused = [fake.add_account("mastodon", f"locked{n}") for n in range(4)]
    fine = fake.add_account("mastodon", "fine")
    fake.add_post("mastodon", fine, "still read")
    fake.mastodon.answer_when(
        lambda r: "lookup" in r.path and r.query.get("acct", "").startswith("locked"),
        recorded_401,
    )
    ids = [register("mastodon", h).id for h in [*refused, fine]]

    summary = ingest(ids)

    assert list(stored(engine).values()) == ["still read"]
    assert summary.errors_by_kind == {"permanent": 4}
    assert [fake.mastodon.by_account[f"locked{n}"] for n in range(4)] == [1, 1, 1, 1]
    assert sorted(f["account_id"] for f in summary.failures) == sorted(ids[:4])
    assert {(f["kind"], f["http_status"]) for f in summary.failures} == {("permanent", 401)}
    assert "The access token is invalid" in summary.failures[0]["reason"]


def test_answers_with_errors_do_not_take_the_host_down_but_silence_does(
    fake, register, ingest, engine
):
    failing = [fake.add_account("mastodon", f"err{n}") for n in range(4)]
    fine = fake.add_account("mastodon", "fine")
    fake.add_post("mastodon", fine, "read after four 503s")
    fake.mastodon.answer_when(
        lambda r: (fake.mastodon.account_key(r) or "").startswith("err"),
        lambda r: Reply.json({"error": "Service unavailable"}, 503),
    )
    ids = [register("mastodon", h).id for h in [*failing, fine]]

    summary = ingest(ids, http_retries=0)

    assert list(stored(engine).values()) == ["read after four 503s"]
    assert summary.errors_by_kind == {"transient": 4}
    # transient: tried once more at the end of the host's turn
    assert [fake.mastodon.by_account[f"err{n}"] for n in range(4)] == [2, 2, 2, 2]
    assert {f["http_status"] for f in summary.failures} == {503}


def test_an_unreachable_host_records_why_each_account_was_not_read(fake, register, ingest, engine):
    ids = [register("mastodon", fake.add_account("mastodon", f"u{n}")).id for n in range(5)]
    fake.mastodon.stop()

    summary = ingest(ids, http_retries=0)

    assert summary.errors_by_kind == {"transient": 5}
    reasons = [last_error(engine, i)[1]["reason"] for i in ids]
    assert all(r.startswith("could not connect to") for r in reasons[:3])
    assert all("did not answer 3 accounts in a row" in r for r in reasons[3:])


def test_an_account_not_found_is_skipped_and_keeps_the_reason(fake, register, ingest, engine):
    fake.mastodon.answer_when(
        lambda r: "lookup" in r.path,
        lambda r: recorded_reply(LOOKUP, "acct=kljadklajsdkljlkjlkjlkjasdasd", status=404),
    )
    account = register("mastodon", "gone@mastodon.test")

    summary = ingest([account.id])

    assert summary.errors == {} and summary.skipped == {"account_not_found": 1}
    status, error = last_error(engine, account.id)
    assert status == "not_found"
    assert (error["kind"], error["http_status"]) == ("permanent", 404)
    assert [f["account_id"] for f in summary.failures] == [account.id]


def test_a_transient_failure_is_kept_until_the_next_success_clears_it(
    fake, register, ingest, engine
):
    handle = fake.add_account("mastodon", "flaky")
    fake.add_post("mastodon", handle, "eventually read")
    account = register("mastodon", handle)
    fake.mastodon.answer_when(on_statuses, lambda r: Reply.json({"error": "down"}, 502))

    failed = ingest([account.id], http_retries=1)
    status, error = last_error(engine, account.id)
    fake.mastodon.answers.clear()
    healed = ingest([account.id])

    assert failed.errors_by_kind == {"transient": 1}
    assert fake.mastodon.by_account["flaky"] >= 4 + 1  # two tries, twice, after one lookup
    assert status == "failed" and (error["kind"], error["http_status"]) == ("transient", 502)
    assert healed.errors_by_kind == {} and healed.new_posts == 1
    assert last_error(engine, account.id) == ("ok", None)


def test_summary_counts_add_up_by_kind(fake, register, ingest):
    locked = fake.add_account("mastodon", "locked")
    flaky = fake.add_account("mastodon", "flaky")
    fake.mastodon.answer_when(lambda r: fake.mastodon.account_key(r) == "locked", recorded_401)
    fake.mastodon.answer_when(
        lambda r: fake.mastodon.account_key(r) == "flaky", lambda r: Reply.json({}, 500)
    )

    summary = ingest([register("mastodon", h).id for h in (locked, flaky)], http_retries=0)

    data = summary.as_dict()
    assert data["errors_by_kind"] == {"permanent": 1, "transient": 1}
    assert sum(data["errors"].values()) == sum(data["errors_by_kind"].values()) == 2
    assert json.loads(json.dumps(data["failures"])) == data["failures"]  # JSON-able for XCom
