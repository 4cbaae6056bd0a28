"""Sign in and out, the landing redirect, the health check."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy import text
from sqlalchemy.orm import Session

from pipeline.audit import trail
from pipeline.errors import InputError
from pipeline.registry.people import normalize_email
from pipeline.review import users
from pipeline.web.deps import AnyUser, CsrfChecked, DbSession
from pipeline.web.language import SESSION_LANG
from pipeline.web.rendering import render
from pipeline.web.security import SESSION_USER, SESSION_VERSION, client_address, csrf_token
from pipeline.web.throttle import ThrottleEvent

router = APIRouter(include_in_schema=False)

HOME = {
    "reviewer": "/queue",
    "lead": "/queue",
    "auditor": "/audit",
    "employee": "/me/flags",
    "admin": "/admin/users",
}


@router.get("/healthz")
def healthz(db: DbSession) -> JSONResponse:
    db.execute(text("SELECT 1"))
    return JSONResponse({"status": "ok"})


@router.get("/")
def home(user: AnyUser) -> RedirectResponse:
    return RedirectResponse(HOME[user.role], status_code=303)


@router.get("/login")
def login_form(request: Request) -> Response:
    return render(request, "login.html", None)


THROTTLED = {
    "address": "Too many sign-in attempts from here: wait a few minutes.",
    "account": "Too many sign-in attempts for this account: wait a few minutes.",
}


def _account(email: str) -> str:
    """The throttle's key for an account: the email as accounts store it."""
    try:
        return normalize_email(email)
    except InputError:
        return email.strip().lower()


def _record_throttle(db: Session, event: ThrottleEvent) -> None:
    """One audit row for a throttled window (see ``throttle``): its start or its total."""
    key = event.key[:300]
    trail.record(
        db,
        event.action,
        actor=f"login:{key}" if event.kind == "account" else f"client:{key}",
        limit=event.kind,
        key=key,
        **event.details,
    )


@router.post("/login", dependencies=[CsrfChecked])
def login(
    request: Request,
    db: DbSession,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=1024)],
) -> Response:
    client = client_address(request)
    verdict = request.app.state.login_throttle.attempt(address=client, account=_account(email))
    for event in verdict.events:
        _record_throttle(db, event)
    if verdict.refused_by is not None:
        db.commit()
        response = render(
            request,
            "login.html",
            None,
            status_code=429,
            error=THROTTLED[verdict.refused_by],
        )
        response.headers["Retry-After"] = str(verdict.retry_after_s)
        return response
    user = users.authenticate(
        db, email, password, client=client, settings=request.app.state.settings
    )
    db.commit()
    if user is None:
        return render(
            request,
            "login.html",
            None,
            status_code=401,
            error="Wrong email or password, or the account is locked for a while.",
        )
    lang = request.session.get(SESSION_LANG)  # a language picked before signing in stays
    request.session.clear()  # a fresh session: no fixation
    if lang or user.lang:  # else the user's saved choice: every request reads the session
        request.session[SESSION_LANG] = lang or user.lang
    request.session[SESSION_USER] = user.id
    request.session[SESSION_VERSION] = user.session_version
    csrf_token(request)
    return RedirectResponse(HOME[user.role], status_code=303)


@router.post("/logout", dependencies=[CsrfChecked])
def logout(request: Request, user: AnyUser, db: DbSession) -> RedirectResponse:
    """Sign out: every session of this account ends, a copy of the cookie included."""
    users.sign_out(db, user)
    db.commit()
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
