"""Request limits: oversized bodies, sign-in floods, forged X-Forwarded-For, audit flooding."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import select
from typer.testing import CliRunner

from pipeline.cli import app as cli
from pipeline.config import Settings
from pipeline.db.models import AuditEvent, Review
from pipeline.web import create_app
from pipeline.web.throttle import Limit, LoginThrottle
from tests.factories import PASSWORD
from tests.web.conftest import CSRF_RE, web_settings

MIB = 1024 * 1024
PROXY = "10.0.0.2"


class CountingApp:
    """Wraps an ASGI app and counts the body bytes it pulls from ``receive()``."""

    def __init__(self, app: Any) -> None:
        self.app, self.pulled = app, 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def counted() -> Any:
            message = await receive()
            self.pulled += len(message.get("body", b""))
            return message

        await self.app(scope, counted, send)


@contextmanager
def served(app: Any) -> Iterator[str]:
    """``app`` served by uvicorn on 127.0.0.1 (its own proxy-header reading off, as in serve)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    config = uvicorn.Config(app, log_level="warning", lifespan="off", proxy_headers=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def _chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    chunk = b"x" * size
    for _ in range(total // size):
        yield chunk


def _login(client: TestClient, email: str, password: str = "wrong password!", **headers: str):
    """One sign-in attempt with the login page's CSRF token."""
    page = client.get("/login")
    token = CSRF_RE.search(page.text).group(1)
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token},
        headers=headers,
    )


def _client(app: Any, host: str) -> TestClient:
    return TestClient(app, follow_redirects=False, client=(host, 40000))


def _events(db, action: str) -> list[AuditEvent]:
    db.expire_all()
    return list(
        db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))
    )


def test_an_anonymous_200_mib_body_streamed_to_selfcheck_is_refused_after_at_most_the_limit(
    engine,
) -> None:
    app = CountingApp(create_app(web_settings()))
    with served(app) as url, httpx.Client(base_url=url, timeout=60) as client:
        chunked = client.post(
            "/api/selfcheck",
            content=_chunks(200 * MIB),
            headers={"Content-Type": "application/json"},
        )
        assert chunked.status_code == 413
        assert "request body over 1048576 bytes" in chunked.json()["detail"]
        assert chunked.headers["connection"] == "close"
        assert MIB < app.pulled <= 2 * MIB  # the limit and at most one read beyond it
        app.pulled = 0
        declared = client.post(
            "/api/selfcheck",
            content=_chunks(200 * MIB),
            headers={"Content-Type": "application/json", "Content-Length": str(200 * MIB)},
        )
        assert declared.status_code == 413
        assert app.pulled == 0  # refused on the header alone
        assert client.get("/healthz").json() == {"status": "ok"}


def test_oversized_forms_and_json_of_a_signed_in_user_get_413_and_change_nothing(
    db, make, browser
) -> None:
    flag = make.flag()
    reviewer = make.user("reviewer")
    db.commit()
    client = browser()
    assert client.login(reviewer.email).status_code == 303
    assert client.api("/api/queue/claim").json() == {"flag_id": flag.id}
    big = "x" * (2 * MIB)
    decision = {"decision": "advise", "clause": "partisan"}
    form_head = f"csrf_token={client.csrf}&decision=advise&clause=partisan&rationale="
    attempts = [
        client.form(f"/flags/{flag.id}/decide", **decision, rationale=big),
        client.client.post(
            f"/flags/{flag.id}/decide",
            data={"csrf_token": client.csrf, **decision},
            files={"rationale": ("r.txt", big)},
        ),
        client.api(f"/api/flags/{flag.id}/decide", {**decision, "rationale": big}),
        # chunked, without Content-Length: counted as the app reads it
        client.client.post(
            f"/api/flags/{flag.id}/decide",
            content=(part.encode() for part in ('{"rationale": "', big, '"}')),
            headers={"X-CSRF-Token": client.csrf, "Content-Type": "application/json"},
        ),
        client.client.post(
            f"/flags/{flag.id}/decide",
            content=(part.encode() for part in (form_head, big)),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ),
    ]
    assert [r.status_code for r in attempts] == [413] * 5
    assert attempts[3].json()["detail"] == "request body over 1048576 bytes: send less"
    assert "request body over" in attempts[4].text
    db.expire_all()
    assert db.scalars(select(Review).where(Review.flag_id == flag.id)).all() == []
    done = client.api(f"/api/flags/{flag.id}/decide", {**decision, "rationale": "Names a party"})
    assert done.status_code == 200


def test_x_forwarded_for_from_an_untrusted_peer_does_not_change_the_bucket(engine, db) -> None:
    for trusted in ([], ["10.9.0.0/16"]):  # no proxies, and a peer that is not one of them
        app = create_app(web_settings(login_ip_limit="3/300", trusted_proxies=trusted))
        client = _client(app, "203.0.113.9")
        statuses = [
            _login(client, f"u{i}@example.org", **{"X-Forwarded-For": f"198.51.100.{i}"})
            for i in range(5)
        ]
        assert [r.status_code for r in statuses] == [401, 401, 401, 429, 429]
    throttled = _events(db, "auth.login_throttled")
    assert [(e.details["limit"], e.details["key"]) for e in throttled] == [
        ("address", "203.0.113.9")
    ] * 2


def test_behind_a_trusted_proxy_each_client_has_its_own_bucket(engine, db) -> None:
    app = create_app(web_settings(login_ip_limit="3/300", trusted_proxies=["10.0.0.0/24"]))
    proxy = _client(app, PROXY)
    first = [_login(proxy, "a@example.org", **{"X-Forwarded-For": "198.51.100.1"}) for _ in "abc"]
    assert [r.status_code for r in first] == [401] * 3
    # the client cannot escape its bucket by prepending an address: the proxy appends the real one
    spoofed = _login(proxy, "a@example.org", **{"X-Forwarded-For": "192.0.2.77, 198.51.100.1"})
    assert spoofed.status_code == 429
    other = _login(proxy, "b@example.org", **{"X-Forwarded-For": "198.51.100.2, 10.0.0.9"})
    assert other.status_code == 401  # another client (behind two proxies) is not held up
    failed = _events(db, "auth.login_failed")
    assert [e.details["client"] for e in failed] == ["198.51.100.1"] * 3 + ["198.51.100.2"]


def test_one_account_attacked_from_many_addresses_is_limited(engine, db, make) -> None:
    victim, bystander = make.user("reviewer"), make.user("lead")
    db.commit()
    settings = web_settings(login_account_limit="3/300", trusted_proxies=[PROXY])
    proxy = _client(create_app(settings), PROXY)
    statuses = [
        _login(proxy, victim.email.upper(), **{"X-Forwarded-For": f"198.51.100.{i}"}).status_code
        for i in range(10)
    ]
    assert statuses == [401] * 3 + [429] * 7
    held = _login(proxy, victim.email, PASSWORD, **{"X-Forwarded-For": "192.0.2.1"})
    assert held.status_code == 429 and "for this account" in held.text
    assert int(held.headers["retry-after"]) > 0
    assert _login(proxy, bystander.email, PASSWORD).status_code == 303
    assert len(_events(db, "auth.login_failed")) == 3
    throttled = _events(db, "auth.login_throttled")
    assert [(e.actor, e.details["limit"]) for e in throttled] == [
        (f"login:{victim.email}", "account")
    ]


def test_a_login_flood_writes_a_bounded_number_of_audit_rows_per_window(engine, db) -> None:
    app = create_app(web_settings(login_ip_limit="3/300"))
    now = [1000.0]
    app.state.login_throttle = LoginThrottle(
        address=Limit(3, 300), account=Limit(10_000, 60), clock=lambda: now[0]
    )
    client = _client(app, "203.0.113.5")
    first = [_login(client, f"nobody{i}@example.org").status_code for i in range(40)]
    assert first == [401] * 3 + [429] * 37
    now[0] += 301  # the window is over: its total is written, and a new window opens
    second = [_login(client, f"again{i}@example.org").status_code for i in range(20)]
    assert second == [401] * 3 + [429] * 17
    # rotating unknown emails from one address: only the address's allowance is audited
    assert len(_events(db, "auth.login_failed")) == 6
    assert len(_events(db, "auth.login_throttled")) == 2
    ended = _events(db, "auth.login_throttle_ended")
    assert [(e.actor, e.details["refused"]) for e in ended] == [("client:203.0.113.5", 37)]
    assert ended[0].details["window_s"] == 300


def test_serve_does_not_let_uvicorn_trust_forwarded_headers(monkeypatch) -> None:
    ran: dict[str, Any] = {}
    monkeypatch.setattr("pipeline.web.create_app", lambda **kwargs: "app")
    monkeypatch.setattr("uvicorn.run", lambda app, **kwargs: ran.update(kwargs))
    result = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0"])
    assert result.exit_code == 0, result.output
    assert ran["proxy_headers"] is False


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("trusted_proxies", "*"),
        ("trusted_proxies", "10.0.0.1,proxy.local"),
        ("login_ip_limit", "5"),
    ],
)
def test_settings_that_would_trust_everyone_or_not_limit_are_refused(name, value) -> None:
    with pytest.raises(ValidationError, match="is not"):
        Settings(_env_file=None, **{name: value})
