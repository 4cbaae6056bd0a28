"""Auditor and employee pages, the self-check and the API documentation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from pipeline import review
from pipeline.audit.search import search_audited, to_csv
from pipeline.classify.selfcheck import check_text
from pipeline.vocabulary import SENIORITY_BANDS
from pipeline.web.deps import (
    AnyUser,
    AuditFilters,
    Auditor,
    CsrfChecked,
    DbSession,
    Employee,
)
from pipeline.web.rendering import render

router = APIRouter(include_in_schema=False)


@router.get("/audit")
def audit_page(
    request: Request,
    user: Auditor,
    db: DbSession,
    query: AuditFilters,
) -> Response:
    events = search_audited(
        db, query.filters(), reader=f"user:{user.email}", reader_user_id=user.id
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
    events = search_audited(
        db,
        query.filters(),
        reader=f"user:{user.email}",
        reader_user_id=user.id,
        export=True,
        limit=10_000,
    )
    db.commit()
    return Response(
        to_csv(events),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
    )


@router.get("/me/flags")
def my_flags(request: Request, user: Employee, db: DbSession) -> Response:
    return render(request, "my_flags.html", user, flags=review.own_flags(db, user))


@router.post("/me/flags/{flag_id}/respond", dependencies=[CsrfChecked])
def respond(
    flag_id: int,
    user: Employee,
    db: DbSession,
    kind: Annotated[str, Form(max_length=10)],
    body: Annotated[str, Form(max_length=5000)],
) -> RedirectResponse:
    review.respond(db, flag_id, user, kind=kind, body=body)
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
    result = check_text(text, audience=audience, seniority=seniority or None, session=db)
    return render(request, "selfcheck.html", user, result=result, text=text, bands=SENIORITY_BANDS)


@router.get("/api/docs")
def api_docs(request: Request) -> Response:
    return render(request, "api_docs.html", None, schema=request.app.openapi())
