"""Server-rendered pages: the Jinja2 templates, rendered with the user and the CSRF token."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from pipeline.db.models import AppUser
from pipeline.web.security import csrf_token

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
WEB_SCHEMES = ("http", "https")


def web_link(url: str | None) -> str | None:
    """``url`` when it may be a link: http(s) with a host, nothing a browser would strip or
    reinterpret (spaces, control characters). Anything else (``javascript:``, ``data:``,
    ``vbscript:``...) is None, and the page shows the address as text, never as a link."""
    if not url or any(ord(c) <= 0x20 or ord(c) == 0x7F for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in WEB_SCHEMES and parts.netloc else None


templates.env.filters["web_link"] = web_link


def render(
    request: Request, name: str, user: AppUser | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    context.update(user=user, csrf_token=csrf_token(request))
    return templates.TemplateResponse(request, name, context, status_code=status_code)
