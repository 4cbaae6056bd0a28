"""Helpers the page modules share: rendering with the CSRF token, dates, the self-check."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from pipeline import selfcheck
from pipeline.db.models import AppUser
from pipeline.web.app import templates
from pipeline.web.security import csrf_token


def render(
    request: Request, name: str, user: AppUser | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    context.update(user=user, csrf_token=csrf_token(request))
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def parse_day(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise HTTPException(400, f"{value!r} is not a date (use YYYY-MM-DD)") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def run_selfcheck(
    text: str, audience: int | None, seniority: str | None, session: Session | None = None
) -> dict[str, Any]:
    """The classifier's judgement of a draft (``pipeline.selfcheck.check_text``); the session is
    only read (the live classifier's thresholds). Nothing is stored, nothing is audited."""
    return selfcheck.check_text(text, audience=audience, seniority=seniority, session=session)


@dataclass
class AuditQuery:
    """The audit search's query parameters, shared by the page, its CSV export and the API."""

    action: str | None = None
    actor: str | None = None
    subject_type: str | None = None
    subject_id: str | None = None
    person_id: int | None = None
    date_from: str | None = None
    date_to: str | None = None

    def filters(self) -> dict[str, Any]:
        return {
            "action": self.action or None,
            "actor": self.actor or None,
            "subject_type": self.subject_type or None,
            "subject_id": self.subject_id or None,
            "person_id": self.person_id,
            "date_from": parse_day(self.date_from),
            "date_to": parse_day(self.date_to),
        }


AuditFilters = Annotated[AuditQuery, Depends()]
