"""Sessions, CSRF, login rate limiting and role checks for the review app.

* The session is Starlette's signed cookie (itsdangerous): HttpOnly, SameSite=strict, Secure
  unless served on loopback (``Settings.cookie_https_only`` overrides).
* CSRF: a random token per session, compared in constant time on every state-changing request:
  the ``csrf_token`` form field for pages, the ``X-CSRF-Token`` header for ``/api``.
* Roles are checked by a dependency on every route (``require(...)``); anonymous page requests
  are sent to the login page, anonymous API requests get 401.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

from fastapi import HTTPException, Request
from sqlalchemy.orm import Session, sessionmaker

from pipeline.config import Settings, get_settings
from pipeline.db.engine import get_engine

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


def secret_key(settings: Settings) -> str:
    """The configured key, or one generated once into ``data_dir/secret_key`` (mode 0600)."""
    if settings.secret_key:
        return settings.secret_key
    path = Path(settings.data_dir) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(48))
    return path.read_text().strip()


class LoginNeeded(Exception):
    """No signed-in user: pages redirect to /login, the API answers 401."""


class RateLimiter:
    """At most ``limit`` attempts per ``window`` seconds per key (in this process)."""

    def __init__(self, spec: str, clock: Callable[[], float] = time.monotonic) -> None:
        limit, window = spec.split("/")
        self.limit, self.window, self.clock = int(limit), float(window), clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        now = self.clock()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            return True


def make_sessionmaker(settings: Settings) -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(settings), expire_on_commit=False)


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def verify_csrf(request: Request) -> None:
    """Reject a state-changing request whose CSRF token is missing or wrong (403)."""
    expected = request.session.get("csrf")
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        sent = (await request.form()).get(CSRF_FIELD)
    if not expected or not isinstance(sent, str) or not secrets.compare_digest(sent, expected):
        raise HTTPException(403, "missing or invalid CSRF token: reload the page and try again")


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def default_settings() -> Settings:
    return get_settings()
