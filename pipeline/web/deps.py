"""The routes' dependencies, as ``Annotated`` aliases so a route's signature reads as prose:
``user: Reviewer, db: DbSession, query: AuditFilters``.

Each role alias checks the signed-in user's role (``require``); ``CsrfChecked`` guards every
state-changing route; the query-string parsers answer 400 (or 404 for an unknown report) with a
message that says what to send.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session, sessionmaker

from pipeline.audit.search import until
from pipeline.clock import instant
from pipeline.db.models import AppUser
from pipeline.errors import InputError
from pipeline.i18n import _
from pipeline.labels import label
from pipeline.reports.runner import ReportInfo, end_of, list_reports
from pipeline.vocabulary import ROLES, Role
from pipeline.web.security import SESSION_USER, SESSION_VERSION, LoginNeeded, verify_csrf


def get_db(request: Request) -> Iterator[Session]:
    """A session per request, rolled back unless the route committed."""
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    with factory() as session:
        try:
            yield session
        finally:
            session.rollback()


DbSession = Annotated[Session, Depends(get_db)]
CsrfChecked = Depends(verify_csrf)


def current_user(request: Request, db: DbSession) -> AppUser:
    """The signed-in user, while the cookie carries their account's current session version
    (it changes on sign-out, password reset, role change and deactivation) and the account is
    active; otherwise the session forgets the user, who is sent to sign in."""
    user_id = request.session.get(SESSION_USER)
    user = db.get(AppUser, user_id) if isinstance(user_id, int) else None
    if (
        user is None
        or not user.active
        or request.session.get(SESSION_VERSION) != user.session_version
    ):
        request.session.pop(SESSION_USER, None)
        request.session.pop(SESSION_VERSION, None)
        raise LoginNeeded
    return user


def require(*roles: str) -> Callable[..., AppUser]:
    """A dependency that returns the signed-in user when their role is one of ``roles``."""

    def dependency(user: Annotated[AppUser, Depends(current_user)]) -> AppUser:
        if user.role not in roles:
            raise HTTPException(
                403,
                _("this page is for the role %(roles)s")
                % {"roles": " / ".join(label(r) for r in roles)},
            )
        return user

    dependency.roles = roles  # type: ignore[attr-defined]  # read by the route inventory
    return dependency


Reviewer = Annotated[AppUser, Depends(require(Role.REVIEWER, Role.LEAD))]
Lead = Annotated[AppUser, Depends(require(Role.LEAD))]
Auditor = Annotated[AppUser, Depends(require(Role.AUDITOR))]
Admin = Annotated[AppUser, Depends(require(Role.ADMIN))]
Employee = Annotated[AppUser, Depends(require(Role.EMPLOYEE))]
ReportReader = Annotated[AppUser, Depends(require(Role.AUDITOR, Role.LEAD, Role.ADMIN))]
AnyUser = Annotated[AppUser, Depends(require(*ROLES))]


def parse_day(value: str | None) -> datetime | None:
    """A YYYY-MM-DD (or ISO 8601) query parameter as an aware instant; 400 when it is not one."""
    try:
        return instant(value or None)
    except ValueError:
        raise HTTPException(400, f"{value!r} is not a date (use YYYY-MM-DD)") from None


def period(date_from: str | None, date_to: str | None) -> dict[str, Any]:
    """``from``/``to`` as YYYY-MM-DD, the ``to`` day included whole; a time of day is dropped
    (reports cover whole days). 400 for a day past the last a report can cover."""
    try:
        return {"date_from": parse_day(date_from), "date_to": end_of(parse_day(date_to))}
    except InputError as exc:
        raise HTTPException(400, str(exc)) from None


def known_report(name: str) -> ReportInfo:
    """The report called ``name``; 404 when there is none."""
    for info in list_reports():
        if info.name == name:
            return info
    raise HTTPException(404, f"no report {name!r}")


def read_report(
    read: Callable[..., Any],
    request: Request,
    db: Session,
    user: AppUser,
    name: str,
    date_from: str | None,
    date_to: str | None,
) -> Any:
    """``read`` (``view_report`` or ``export_report``) for the signed-in user over the period
    of the query string; the audit event is committed with it."""
    known_report(name)
    result = read(
        db,
        name,
        actor=f"user:{user.email}",
        actor_user_id=user.id,
        settings=request.app.state.settings,
        **period(date_from, date_to),
    )
    db.commit()
    return result


@dataclass
class AuditQuery:
    """The audit search's query parameters, shared by the page, its CSV export and the API.

    They arrive as text, as a form sends them: an empty field means "any", the ``to`` day is
    included whole (``audit.search.until``), and a value that is not a number or a date gets a
    400 that says what to send."""

    action: str | None = None
    actor: str | None = None
    subject_type: str | None = None
    subject_id: str | None = None
    person_id: str | None = None
    date_from: str | None = None
    date_to: str | None = None

    def filters(self) -> dict[str, Any]:
        return {
            "action": (self.action or "").strip() or None,
            "actor": (self.actor or "").strip() or None,
            "subject_type": (self.subject_type or "").strip() or None,
            "subject_id": (self.subject_id or "").strip() or None,
            "person_id": _whole_number(self.person_id, "person id"),
            "date_from": parse_day(self.date_from),
            "date_to": _period_end(self.date_to),
        }


def _whole_number(value: str | None, name: str) -> int | None:
    if value is None or not value.strip():
        return None
    try:
        return int(value.strip())
    except ValueError:
        raise HTTPException(400, f"{name}: {value!r} is not a whole number") from None


def _period_end(value: str | None) -> datetime | None:
    try:
        return until(value)
    except ValueError:
        raise HTTPException(400, f"{value!r} is not a date (use YYYY-MM-DD)") from None


AuditFilters = Annotated[AuditQuery, Depends()]
