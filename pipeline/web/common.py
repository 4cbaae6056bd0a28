"""Helpers the page modules share: rendering with the CSRF token, dates, the self-check."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse

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


def run_selfcheck(text: str, audience: int | None, seniority: str | None) -> dict[str, Any]:
    """Call ``pipeline.selfcheck.check_text`` when the classifier ships it, else 503."""
    try:
        selfcheck = importlib.import_module("pipeline.selfcheck")
    except ImportError:
        raise HTTPException(
            503,
            "the self-check is not available: this installation has no classifier "
            "(pipeline.selfcheck) yet",
        ) from None
    result = selfcheck.check_text(text, audience=audience, seniority=seniority)
    if hasattr(result, "as_dict"):
        result = result.as_dict()
    elif hasattr(result, "__dataclass_fields__"):
        from dataclasses import asdict

        result = asdict(result)
    return result if isinstance(result, dict) else {"result": result}
