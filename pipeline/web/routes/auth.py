"""Sign in and out, the landing redirect, the health check."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy import text

from pipeline.audit import trail
from pipeline.review import users
from pipeline.web.deps import AnyUser, CsrfChecked, DbSession
from pipeline.web.rendering import render
from pipeline.web.security import client_address, csrf_token

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


@router.post("/login", dependencies=[CsrfChecked])
def login(
    request: Request,
    db: DbSession,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=1024)],
) -> Response:
    client = client_address(request)
    if not request.app.state.login_limiter.allow(client):
        trail.record(
            db,
            "auth.login_failed",
            actor=f"login:{email[:300]}",
            reason="rate_limited",
            client=client,
        )
        db.commit()
        return render(
            request,
            "login.html",
            None,
            status_code=429,
            error="Too many sign-in attempts from here: wait a few minutes.",
        )
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
    request.session.clear()  # a fresh session: no fixation
    request.session["uid"] = user.id
    csrf_token(request)
    return RedirectResponse(HOME[user.role], status_code=303)


@router.post("/logout", dependencies=[CsrfChecked])
def logout(request: Request, user: AnyUser, db: DbSession) -> RedirectResponse:
    trail.record(
        db,
        "auth.logout",
        actor=f"user:{user.email}",
        actor_user_id=user.id,
        subject_type="app_user",
        subject_id=user.id,
    )
    db.commit()
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
