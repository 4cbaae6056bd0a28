"""Which official language a page is shown in, and the toggle that changes it.

The choice, in order: the language picked with the toggle in this session; the signed-in user's
saved choice; the browser's ``Accept-Language``; English. Picking a language while signed in saves
it on the user, so it follows them to another browser.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from pipeline import i18n
from pipeline.db.models import AppUser
from pipeline.web.security import SESSION_USER

SESSION_LANG = "lang"

router = APIRouter(include_in_schema=False)


def request_lang(request: Request, user: AppUser | None = None) -> str:
    chosen = i18n.normalize(request.session.get(SESSION_LANG))
    if chosen:
        return chosen
    if user is not None and user.lang:
        return user.lang
    return i18n.from_accept_language(request.headers.get("accept-language")) or i18n.DEFAULT_LANG


def _safe_next(target: str | None) -> str:
    """Only a path on this site (never ``//host`` or a scheme): the toggle is no open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target


def toggle_href(request: Request, lang: str) -> str:
    """The toggle's link for the current page: to ``lang``, back to this page."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"/lang/{lang}?next={quote(here, safe='')}"


@router.get("/lang/{lang}")
def choose(request: Request, lang: str, next: str | None = None) -> RedirectResponse:
    """Switch the interface to ``lang`` (``en`` or ``fr``) and return to ``next``."""
    chosen = i18n.normalize(lang) or i18n.DEFAULT_LANG
    request.session[SESSION_LANG] = chosen
    user_id = request.session.get(SESSION_USER)
    if isinstance(user_id, int):
        with request.app.state.sessionmaker() as session:
            user = session.get(AppUser, user_id)
            if user is not None and user.lang != chosen:
                user.lang = chosen
                session.commit()
    return RedirectResponse(_safe_next(next), status_code=303)


@router.get("/fr")
def french(request: Request) -> RedirectResponse:
    return choose(request, "fr", "/")


@router.get("/en")
def english(request: Request) -> RedirectResponse:
    return choose(request, "en", "/")
