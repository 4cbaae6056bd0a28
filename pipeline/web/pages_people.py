"""Auditor, employee and admin pages, the self-check and the API documentation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from pipeline import audit, audit_search, queue, users
from pipeline.db.models import SENIORITY_BANDS
from pipeline.web.common import AuditFilters, render, run_selfcheck
from pipeline.web.security import Admin, AnyUser, Auditor, CsrfChecked, DbSession, Employee

router = APIRouter(include_in_schema=False)


@router.get("/audit")
def audit_page(
    request: Request,
    user: Auditor,
    db: DbSession,
    query: AuditFilters,
) -> Response:
    events = audit_search.search(db, **query.filters())
    audit.record(
        db, "audit.search", actor=f"user:{user.email}", actor_user_id=user.id, results=len(events)
    )
    db.commit()
    return render(request, "audit.html", user, events=events, query=request.query_params)


@router.get("/audit/export")
def audit_export(
    request: Request,
    user: Auditor,
    db: DbSession,
    query: AuditFilters,
) -> Response:
    events = audit_search.search(db, **query.filters(), limit=10_000)
    audit.record(
        db, "audit.export", actor=f"user:{user.email}", actor_user_id=user.id, rows=len(events)
    )
    db.commit()
    return Response(
        audit_search.to_csv(events),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
    )


@router.get("/me/flags")
def my_flags(request: Request, user: Employee, db: DbSession) -> Response:
    return render(request, "my_flags.html", user, flags=queue.own_flags(db, user))


@router.post("/me/flags/{flag_id}/respond", dependencies=[CsrfChecked])
def respond(
    flag_id: int,
    user: Employee,
    db: DbSession,
    kind: Annotated[str, Form(max_length=10)],
    body: Annotated[str, Form(max_length=5000)],
) -> RedirectResponse:
    queue.respond(db, flag_id, user, kind=kind, body=body)
    db.commit()
    return RedirectResponse("/me/flags", status_code=303)


@router.get("/selfcheck")
def selfcheck_form(request: Request, user: AnyUser) -> Response:
    return render(request, "selfcheck.html", user, result=None, bands=SENIORITY_BANDS)


@router.post("/selfcheck", dependencies=[CsrfChecked])
def selfcheck(
    request: Request,
    user: AnyUser,
    db: DbSession,
    text: Annotated[str, Form(max_length=10_000)],
    audience: Annotated[int | None, Form()] = None,
    seniority: Annotated[str | None, Form(max_length=20)] = None,
) -> Response:
    # The draft is never stored nor logged, and the check leaves no audit event.
    result = run_selfcheck(text, audience, seniority or None, db)
    return render(request, "selfcheck.html", user, result=result, text=text, bands=SENIORITY_BANDS)


@router.get("/admin/users")
def users_page(request: Request, user: Admin, db: DbSession) -> Response:
    return render(request, "users.html", user, users=users.list_users(db))


@router.get("/api/docs")
def api_docs(request: Request) -> Response:
    return render(request, "api_docs.html", None, schema=request.app.openapi())
