"""Server-rendered pages: the Jinja2 templates, rendered with the user and the CSRF token."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from pipeline import i18n
from pipeline.db.models import AppUser
from pipeline.labels import label
from pipeline.web.language import request_lang, toggle_href
from pipeline.web.security import csrf_token
from pipeline.web.times import time_tag

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.add_extension("jinja2.ext.i18n")
# `_`, `gettext` and `ngettext` in templates read the language in effect when the page renders
templates.env.install_gettext_callables(  # type: ignore[attr-defined]
    gettext=lambda message: i18n.gettext(message),
    ngettext=lambda singular, plural, n: i18n.ngettext(singular, plural, n),
    newstyle=True,
)
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
templates.env.filters["label"] = label
templates.env.filters["local_time"] = time_tag


def render(
    request: Request, name: str, user: AppUser | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """The page ``name`` in the request's language (``language.request_lang``)."""
    lang = request_lang(request, user)
    context.update(
        user=user,
        csrf_token=csrf_token(request),
        lang=lang,
        other_lang=i18n.other(lang),
        toggle_href=toggle_href(request, i18n.other(lang)),
    )
    with i18n.use_lang(lang):
        return templates.TemplateResponse(request, name, context, status_code=status_code)
