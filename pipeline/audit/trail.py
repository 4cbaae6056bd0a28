"""The append-only audit log: one function writes it, in the caller's transaction."""

from __future__ import annotations

import getpass
from typing import Any

from sqlalchemy.orm import Session

from pipeline.db.models import AuditEvent


def cli_actor() -> str:
    """Who is acting from a shell: the operating-system user."""
    try:
        return f"cli:{getpass.getuser()}"
    except OSError:  # no user name in some containers
        return "cli:unknown"


def record(
    session: Session,
    action: str,
    *,
    actor: str,
    actor_user_id: int | None = None,
    subject_type: str | None = None,
    subject_id: object | None = None,
    person_id: int | None = None,
    **details: Any,
) -> AuditEvent:
    """Add one audit event; it is written when the caller's unit of work commits.

    ``details`` holds counts and identifiers, never post text.
    """
    event = AuditEvent(
        actor=actor,
        actor_user_id=actor_user_id,
        action=action,
        subject_type=subject_type,
        subject_id=None if subject_id is None else str(subject_id),
        person_id=person_id,
        details=details,
    )
    session.add(event)
    return event
