"""The review web app: FastAPI, server-rendered Jinja2 pages and a JSON API under /api.

This module is the composition root: the only one that knows every router (``routes/``), the
middleware and how each error becomes a page or a JSON answer.
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from pipeline import i18n
from pipeline.audit import trail
from pipeline.config import Settings, get_settings
from pipeline.errors import InputError
from pipeline.i18n import N_
from pipeline.review.errors import Conflict, NotAllowed, NotFound
from pipeline.web import design_system, language
from pipeline.web.body_limit import BodySizeLimit
from pipeline.web.rendering import HERE, render
from pipeline.web.routes import admin, api, auth, people, reports, review
from pipeline.web.security import LoginNeeded, make_sessionmaker
from pipeline.web.signing_key import signing_key
from pipeline.web.throttle import Limit, LoginThrottle

# Scripts only from this site. Styles from this site, plus the one <style> the GC Design
# System's loader adds to <head> (it hides components until they are drawn), which carries the
# page's nonce (it reads <meta name="csp-nonce">); the components' own styles are constructed
# stylesheets, which the policy does not govern. ``data:`` images: the design system's select
# draws its arrow with one (an image runs nothing).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'nonce-{nonce}'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


# Starlette's own details, for addresses and methods no route answers, as a page says them
ROUTING_MESSAGES = {
    "Not Found": N_("There is no page at this address: check it, or go back to the start page."),
    "Method Not Allowed": N_("This address does not answer that kind of request."),
}


def _error(request: Request, status: int, message: str) -> Response:
    if _is_api(request):
        return JSONResponse({"detail": message}, status_code=status)
    # in the page's language when the catalogue knows the message, else as it is
    shown = i18n.gettext(ROUTING_MESSAGES.get(message, message), language.request_lang(request))
    return render(request, "error.html", None, status_code=status, status=status, message=shown)


class RequestLanguage:
    """The request's language in effect while its route runs, not only while a page renders:
    a message raised there (a refused action's, a form's error) is worded in the user's language.
    It reads the session (the user is not loaded yet: their saved choice is copied into the
    session at sign-in), else ``Accept-Language``, else English."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with i18n.use_lang(language.request_lang(Request(scope))):
            await self.app(scope, receive, send)


def _without_input(error: Any) -> dict[str, Any]:
    """A validation error as field, message and type: never the value that was sent."""
    return {"loc": list(error.get("loc", ())), "msg": error.get("msg", ""), "type": error["type"]}


def _audit_denied(request: Request, reason: str, action: str = "access.denied") -> None:
    """A signed-in user's refused request, in its own transaction (the request's own work was
    rolled back): ``access.denied`` (role, separation of duties, CSRF), ``access.not_found``
    (a flag that does not exist or that the user may not know about: the answer is the same,
    the reason here says which) or ``access.conflict`` (a flag not in a state for the action)."""
    user_id = request.session.get("uid")
    if not isinstance(user_id, int):
        return
    with request.app.state.sessionmaker() as session:
        trail.record(
            session,
            action,
            actor=f"user-id:{user_id}",
            actor_user_id=user_id,
            method=request.method,
            path=request.url.path[:200],
            reason=reason[:200],
        )
        session.commit()


def create_app(settings: Settings | None = None, *, https_only: bool | None = None) -> FastAPI:
    """The app; ``https_only`` (or ``Settings.cookie_https_only``) marks the cookie Secure.

    Raises ``SigningKeyError`` (an ``InputError``) when the session signing key is weak."""
    settings = settings or get_settings()
    key = signing_key(settings)  # first: a weak key stops the start before anything else
    if settings.cookie_https_only is not None:
        https_only = settings.cookie_https_only
    app = FastAPI(
        title="Impartial review API",
        version="1",
        description="Blind review of machine flags; every view and action is audited. "
        "Authenticate through /login (session cookie); send the CSRF token from "
        "GET /api/me in the X-CSRF-Token header on every POST.",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.settings = settings
    app.state.sessionmaker = make_sessionmaker(settings)
    app.state.login_throttle = LoginThrottle(
        address=Limit.parse(settings.login_ip_limit),
        account=Limit.parse(settings.login_account_limit),
    )
    # Added first, so it sits next to the routes: what it counts is what they read, and its
    # 413 is raised straight into them (no middleware's task group in between).
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestLanguage)  # before the session's: it runs inside it
    app.add_middleware(
        SessionMiddleware,
        secret_key=key,
        session_cookie="impartial_session",
        max_age=settings.session_max_age_minutes * 60,
        same_site="strict",
        https_only=bool(https_only if https_only is not None else True),
    )

    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        # a fresh nonce per response: the pages write it in <meta name="csp-nonce">
        request.state.csp_nonce = nonce = secrets.token_urlsafe(18)
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP.format(nonce=nonce))
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    # Added last, so it runs first: the client's address is settled before anything sees it.
    if settings.trusted_proxies:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)

    @app.exception_handler(LoginNeeded)
    async def login_needed(request: Request, exc: LoginNeeded) -> Response:
        if _is_api(request) or request.method != "GET":
            return JSONResponse({"detail": "sign in first (POST /login)"}, status_code=401)
        return RedirectResponse("/login", status_code=303)

    # Starlette's own class: the routes' errors and the router's (no such path or method) alike
    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 403:
            _audit_denied(request, str(exc.detail))
        return _error(request, exc.status_code, str(exc.detail))

    @app.exception_handler(NotAllowed)
    async def not_allowed(request: Request, exc: NotAllowed) -> Response:
        _audit_denied(request, str(exc))
        return _error(request, 403, str(exc))

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        _audit_denied(request, exc.reason, "access.not_found")
        return _error(request, 404, str(exc))

    @app.exception_handler(Conflict)
    async def conflict(request: Request, exc: Conflict) -> Response:
        _audit_denied(request, str(exc), "access.conflict")
        return _error(request, 409, str(exc))

    app.add_exception_handler(InputError, lambda request, exc: _error(request, 400, str(exc)))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        # FastAPI's own answer repeats each bad value: a password among them
        problems = [_without_input(error) for error in exc.errors()]
        if _is_api(request):
            return JSONResponse({"detail": problems}, status_code=422)
        fields = "; ".join(f"{p['loc'][-1]}: {p['msg']}" for p in problems if p["loc"])
        return _error(
            request,
            422,
            i18n.gettext("the form was not valid (%(fields)s): correct it and resend")
            % {"fields": fields},
        )

    for routes in (language, auth, review, people, admin, reports, api):
        app.include_router(routes.router)
    design_system.mount(app)  # before /static, which would otherwise answer its paths
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    return app
