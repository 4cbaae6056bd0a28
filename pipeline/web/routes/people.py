"""Auditor and employee pages, the self-check and the API documentation."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from pipeline import review
from pipeline.audit.actions import action_label, detail_lines, pick_list
from pipeline.audit.search import page_audited, search_audited, to_csv
from pipeline.classify.official_languages import detect_language
from pipeline.classify.selfcheck import check_text
from pipeline.review.own_posts import own_posts
from pipeline.vocabulary import SENIORITY_BANDS
from pipeline.web.deps import (
    AnyUser,
    AuditFilters,
    Auditor,
    CsrfChecked,
    DbSession,
    Employee,
)
from pipeline.web.language import request_lang
from pipeline.web.rendering import render

router = APIRouter(include_in_schema=False)


@router.get("/audit")
def audit_page(
    request: Request,
    user: Auditor,
    db: DbSession,
    query: AuditFilters,
    page: str = "1",
) -> Response:
    """One page of the audit log (``PER_PAGE`` events), the search and its paging in the
    query string; a filter the log cannot take is shown above the form, the form kept."""
    shown = {k: v for k, v in request.query_params.items() if k != "page"}
    try:
        filters = query.filters()
    except HTTPException as exc:
        return render(
            request,
            "audit.html",
            user,
            status_code=400,
            error=exc.detail,
            found=None,
            query=shown,
            actions=pick_list,
            action_label=action_label,
            details=detail_lines,
        )
    found = page_audited(
        db,
        filters,
        page=int(page) if page.strip().isdigit() else 1,
        reader=f"user:{user.email}",
        reader_user_id=user.id,
    )
    db.commit()
    return render(
        request,
        "audit.html",
        user,
        found=found,
        query=shown,
        search_query=urlencode(shown),
        actions=pick_list,
        action_label=action_label,
        details=detail_lines,
    )


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
    return render(request, "my_flags.html", user, posts=own_posts(db, user))


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
    # The draft is never stored nor logged, and the check leaves no audit event. Its questions
    # and category descriptions come in the draft's language (the page's when it is unclear).
    draft_lang = detect_language(text)
    if draft_lang not in ("en", "fr"):
        draft_lang = request_lang(request, user)
    result = check_text(
        text, audience=audience, seniority=seniority or None, lang=draft_lang, session=db
    )
    return render(
        request,
        "selfcheck.html",
        user,
        result=result,
        draft_lang=draft_lang,
        text=text,
        audience=audience,
        seniority=seniority,
        bands=SENIORITY_BANDS,
    )


@router.get("/api/docs")
def api_docs(request: Request) -> Response:
    return render(request, "api_docs.html", None, schema=request.app.openapi())
