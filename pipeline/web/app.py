"""The review web app: FastAPI, server-rendered Jinja2 pages and a JSON API under /api.

This module is the composition root: the only one that knows every router (``routes/``), the
middleware and how each error becomes a page or a JSON answer.
"""

from __future__ import annotations

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from pipeline.audit import trail
from pipeline.config import Settings, get_settings
from pipeline.errors import InputError
from pipeline.review.errors import Conflict, NotAllowed, NotFound
from pipeline.web.rendering import HERE, templates
from pipeline.web.routes import api, auth, people, reports, review
from pipeline.web.security import LoginNeeded, RateLimiter, make_sessionmaker, secret_key

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error(request: Request, status: int, message: str) -> Response:
    if _is_api(request):
        return JSONResponse({"detail": message}, status_code=status)
    return templates.TemplateResponse(
        request,
        "error.html",
        {"status": status, "message": message, "user": None},
        status_code=status,
    )


def _audit_denied(request: Request, reason: str) -> None:
    """A signed-in user's refused request (role, conflict of interest, CSRF), in its own
    transaction: the request's own work was rolled back."""
    user_id = request.session.get("uid")
    if not isinstance(user_id, int):
        return
    with request.app.state.sessionmaker() as session:
        trail.record(
            session,
            "access.denied",
            actor=f"user-id:{user_id}",
            actor_user_id=user_id,
            method=request.method,
            path=request.url.path[:200],
            reason=reason[:200],
        )
        session.commit()


def create_app(settings: Settings | None = None, *, https_only: bool | None = None) -> FastAPI:
    """The app; ``https_only`` (or ``Settings.cookie_https_only``) marks the cookie Secure."""
    settings = settings or get_settings()
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
    app.state.login_limiter = RateLimiter(settings.login_ip_limit)
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret_key(settings),
        session_cookie="impartial_session",
        max_age=settings.session_max_age_minutes * 60,
        same_site="strict",
        https_only=bool(https_only if https_only is not None else True),
    )

    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.exception_handler(LoginNeeded)
    async def login_needed(request: Request, exc: LoginNeeded) -> Response:
        if _is_api(request) or request.method != "GET":
            return JSONResponse({"detail": "sign in first (POST /login)"}, status_code=401)
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 403:
            _audit_denied(request, str(exc.detail))
        return _error(request, exc.status_code, str(exc.detail))

    @app.exception_handler(NotAllowed)
    async def not_allowed(request: Request, exc: NotAllowed) -> Response:
        _audit_denied(request, str(exc))
        return _error(request, 403, str(exc))

    for error, status in ((NotFound, 404), (Conflict, 409), (InputError, 400)):
        app.add_exception_handler(
            error, lambda request, exc, status=status: _error(request, status, str(exc))
        )

    for routes in (auth, review, people, reports, api):
        app.include_router(routes.router)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    return app
