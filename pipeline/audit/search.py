"""Reading the audit log: filtered search and CSV export.

Reading the log is itself audited, in one place (``search_audited``), whichever entry point asks:
the auditor's page, its CSV export and the API record the same event with the same counts.

Events about flags name their user by id (``user:<id>``: the row outlives the flag and must
not carry an email); a search shows them as ``user:<email>`` while the user exists, and the
actor filter matches those emails too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from pipeline.audit.outputs import csv_text
from pipeline.audit.trail import record
from pipeline.db.models import AppUser, AuditEvent

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


def search(
    session: Session,
    *,
    action: str | None = None,
    actor: str | None = None,
    subject_type: str | None = None,
    subject_id: str | None = None,
    person_id: int | None = None,
    date_from: datetime | None = None,
    date_to: datetime | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """Events matching every given filter, newest first (``action`` matches a prefix)."""
    query = (
        select(AuditEvent, AppUser.email)
        .outerjoin(AppUser, AppUser.id == AuditEvent.actor_user_id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )
    if action:
        query = query.where(AuditEvent.action.startswith(action, autoescape=True))
    if actor:
        query = query.where(
            or_(
                AuditEvent.actor.contains(actor, autoescape=True),
                AppUser.email.contains(actor, autoescape=True),
            )
        )
    if subject_type:
        query = query.where(AuditEvent.subject_type == subject_type)
    if subject_id:
        query = query.where(AuditEvent.subject_id == subject_id)
    if person_id is not None:
        query = query.where(AuditEvent.person_id == person_id)
    if date_from:
        query = query.where(AuditEvent.at >= date_from)
    if date_to:
        query = query.where(AuditEvent.at < date_to)
    rows = session.execute(query.limit(max(1, min(limit, 10_000))))
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
        for e, email in rows
    ]


def shown_actor(event: AuditEvent, email: str | None) -> str:
    """The actor as a reader sees it: ``user:<id>`` resolved to the user's email."""
    if email is not None and event.actor == f"user:{event.actor_user_id}":
        return f"user:{email}"
    return event.actor


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


def to_csv(events: list[dict[str, Any]]) -> str:
    """The events as CSV, one column per field (cells a spreadsheet would run stay text)."""
    return csv_text(COLUMNS, ([event.get(c) for c in COLUMNS] for event in events))
