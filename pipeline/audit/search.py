"""Reading the audit log: filtered search, one page at a time, and CSV export.

Reading the log is itself audited, in one place (``search_audited`` and ``page_audited``),
whichever entry point asks: the auditor's page, its CSV export, the API and the CLI record the
same event with the same counts.

Events about flags name their user by id (``user:<id>``: the row outlives the flag and must
not carry an email), and a refused request names its user as ``user-id:<id>``; a search shows
every event of a user who exists as ``user:<email>``, so one person reads as one actor, and
the actor filter matches those emails too. A failed sign-in stays ``login:<email tried>``: its
actor is whoever typed the email, not the account's owner.

A period's end given as a day (``2026-11-30``) includes that whole day; given as an instant,
the search stops before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, true
from sqlalchemy.orm import Session

from pipeline.audit.outputs import csv_text
from pipeline.audit.trail import record
from pipeline.clock import instant
from pipeline.db.models import AppUser, AuditEvent
from pipeline.i18n import _

COLUMNS = (
    "id",
    "at",
    "actor",
    "actor_user_id",
    "action",
    "subject_type",
    "subject_id",
    "person_id",
    "details",
)
PER_PAGE = 50
MAX_ROWS = 10_000


def until(value: str | None) -> datetime | None:
    """The end of a period: a day (YYYY-MM-DD) includes that day whole (the search stops at
    the next midnight, UTC); an instant is the first moment left out. ``ValueError`` when the
    value is neither."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if len(value) == 10:
        day = date.fromisoformat(value)
        if day == date.max:
            raise ValueError(_("the last day a search can cover is 9999-12-30"))
        return instant(datetime.combine(day + timedelta(days=1), time()))
    return instant(value)


def _conditions(
    *,
    action: str | None = None,
    actor: str | None = None,
    subject_type: str | None = None,
    subject_id: str | None = None,
    person_id: int | None = None,
    date_from: datetime | None = None,
    date_to: datetime | None = None,
) -> ColumnElement[bool]:
    """Every given filter (``action`` matches a prefix, ``actor`` a part of it or of the
    user's email); a filter that is None or empty matches anything."""
    where: list[ColumnElement[bool]] = []
    if action:
        where.append(AuditEvent.action.startswith(action, autoescape=True))
    if actor:
        where.append(
            or_(
                AuditEvent.actor.contains(actor, autoescape=True),
                AppUser.email.contains(actor, autoescape=True),
            )
        )
    if subject_type:
        where.append(AuditEvent.subject_type == subject_type)
    if subject_id:
        where.append(AuditEvent.subject_id == subject_id)
    if person_id is not None:
        where.append(AuditEvent.person_id == person_id)
    if date_from:
        where.append(AuditEvent.at >= date_from)
    if date_to:
        where.append(AuditEvent.at < date_to)
    return and_(true(), *where)


def search(
    session: Session, *, limit: int = 200, offset: int = 0, **filters: Any
) -> list[dict[str, Any]]:
    """Events matching every given filter (see ``_conditions``), newest first."""
    query = (
        select(AuditEvent, AppUser.email)
        .outerjoin(AppUser, AppUser.id == AuditEvent.actor_user_id)
        .where(_conditions(**filters))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(max(1, min(limit, MAX_ROWS)))
        .offset(max(0, offset))
    )
    return [
        {
            "id": e.id,
            "at": e.at.isoformat(),
            "actor": shown_actor(e, email),
            "actor_user_id": e.actor_user_id,
            "action": e.action,
            "subject_type": e.subject_type,
            "subject_id": e.subject_id,
            "person_id": e.person_id,
            "details": e.details,
        }
        for e, email in session.execute(query)
    ]


def count(session: Session, **filters: Any) -> int:
    """How many events match the filters."""
    query = (
        select(func.count())
        .select_from(AuditEvent)
        .outerjoin(AppUser, AppUser.id == AuditEvent.actor_user_id)
        .where(_conditions(**filters))
    )
    return int(session.scalar(query) or 0)


def shown_actor(event: AuditEvent, email: str | None) -> str:
    """The actor as a reader sees it: a user's own events as ``user:<email>``, whether they
    were written with the email, the id (``user:<id>``) or as a refusal (``user-id:<id>``)."""
    if email is None or event.actor_user_id is None:
        return event.actor
    mine = (f"user:{event.actor_user_id}", f"user-id:{event.actor_user_id}", f"user:{email}")
    return f"user:{email}" if event.actor in mine else event.actor


def search_audited(
    session: Session,
    filters: dict[str, Any],
    *,
    reader: str,
    reader_user_id: int | None = None,
    export: bool = False,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """``search`` with ``filters`` on behalf of ``reader``, recorded as ``audit.search`` (or
    ``audit.export``) with the number of events returned, in the caller's transaction (the
    caller commits)."""
    events = search(session, **filters, limit=limit)
    who = {"actor": reader, "actor_user_id": reader_user_id}
    if export:
        record(session, "audit.export", **who, rows=len(events))
    else:
        record(session, "audit.search", **who, results=len(events))
    return events


@dataclass(frozen=True)
class Page:
    """One page of a search: its events, which page it is, and how many match in all."""

    events: list[dict[str, Any]]
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def first(self) -> int:
        """The position of the page's first event (1-based; 0 when there is none)."""
        return (self.number - 1) * self.per_page + 1 if self.events else 0

    @property
    def last(self) -> int:
        return self.first + len(self.events) - 1 if self.events else 0

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def page_audited(
    session: Session,
    filters: dict[str, Any],
    *,
    page: int = 1,
    per_page: int = PER_PAGE,
    reader: str,
    reader_user_id: int | None = None,
) -> Page:
    """Page ``page`` of the events matching ``filters``, newest first, for ``reader``;
    recorded as ``audit.search`` with the page, the events shown and the total."""
    per_page = max(1, min(per_page, 500))
    total = count(session, **filters)
    last_page = max(1, -(-total // per_page))
    number = max(1, min(page, last_page))
    events = search(session, **filters, limit=per_page, offset=(number - 1) * per_page)
    record(
        session,
        "audit.search",
        actor=reader,
        actor_user_id=reader_user_id,
        results=len(events),
        total=total,
        page=number,
    )
    return Page(events, number, per_page, total)


def to_csv(events: list[dict[str, Any]]) -> str:
    """The events as CSV, one column per field (cells a spreadsheet would run stay text)."""
    return csv_text(COLUMNS, ([event.get(c) for c in COLUMNS] for event in events))
