"""Server-rendered pages: the Jinja2 templates, rendered with the user and the CSRF token."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from pipeline.db.models import AppUser
from pipeline.web.security import csrf_token

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))


def render(
    request: Request, name: str, user: AppUser | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    context.update(user=user, csrf_token=csrf_token(request))
    return templates.TemplateResponse(request, name, context, status_code=status_code)
