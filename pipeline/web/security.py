"""Sessions, CSRF, the client's address and role checks for the review app.

* The session is Starlette's signed cookie (itsdangerous): HttpOnly, SameSite=strict, Secure
  unless served on loopback (``Settings.cookie_https_only`` overrides), signed with the key
  ``signing_key`` checks. It holds the user's id and their account's session version, and is
  valid only while that version is current (``deps.current_user``): signing out, a password
  reset, a role change or deactivation ends every session of the account.
* CSRF: a random token per session, compared in constant time on every state-changing request:
  the ``csrf_token`` form field for pages, the ``X-CSRF-Token`` header for ``/api``.
* Roles are checked by a dependency on every route (``require(...)``); anonymous page requests
  are sent to the login page, anonymous API requests get 401.
* The client's address is the peer's; ``X-Forwarded-For`` counts only when the peer is one of
  ``Settings.trusted_proxies`` (then its right-most entry that is not a trusted proxy).
"""

from __future__ import annotations

import secrets

from fastapi import HTTPException, Request
from sqlalchemy.orm import Session, sessionmaker

from pipeline.config import Settings, get_settings
from pipeline.db.engine import get_engine
from pipeline.i18n import _

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SESSION_USER = "uid"  # the signed-in user's id, in the session cookie
SESSION_VERSION = "sv"  # their account's session version when they signed in


class LoginNeeded(Exception):
    """No signed-in user: pages redirect to /login, the API answers 401."""


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
        raise HTTPException(403, _("missing or invalid CSRF token: reload the page and try again"))


def client_address(request: Request) -> str:
    """The peer's address; behind a trusted proxy, the client its ``X-Forwarded-For`` names
    (the app's proxy-headers middleware has put it in place of the proxy's)."""
    return request.client.host if request.client else "unknown"


def default_settings() -> Settings:
    return get_settings()
