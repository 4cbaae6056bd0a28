"""The demo's sign-ins: one account per role, each with a fresh password on every run.

The reviewer and the lead are none of the demo's people (marked external, as ``users add
--external`` would); the employee is a demo person whose posts were flagged, so "My flags" has
something to show. A new password ends the sessions of the run before.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.audit import trail
from pipeline.db.models import AppUser, Person

ACTOR = "demo"
REVIEWER_EMAIL = "reviewer@demo.example"
LEAD_EMAIL = "lead@demo.example"
EMPLOYEE_EMAIL = "ana.roy@demo.example"  # a demo person with flagged posts
ROLES = (
    ("reviewer", REVIEWER_EMAIL),
    ("lead", LEAD_EMAIL),
    ("auditor", "auditor@demo.example"),
    ("admin", "admin@demo.example"),
    ("employee", EMPLOYEE_EMAIL),
)


@dataclass(frozen=True)
class Login:
    role: str
    email: str
    password: str


def demo_logins(session: Session) -> list[Login]:
    """Every role's demo account (created when missing), each with a new password."""
    return [_login(session, role, email) for role, email in ROLES]


def _login(session: Session, role: str, email: str) -> Login:
    password = secrets.token_urlsafe(12)
    user = session.scalar(select(AppUser).where(AppUser.email == email))
    if user is None:
        user = AppUser(email=email, role=role, password_hash="")
        session.add(user)
    if role == "employee":
        user.person_id = session.scalar(select(Person.id).where(Person.email == email))
    user.role = role
    user.password_hash = PasswordHasher().hash(password)
    user.active, user.failed_logins, user.locked_until = True, 0, None
    user.external = role in ("reviewer", "lead") and user.person_id is None
    user.session_version = (user.session_version or 0) + 1  # the last run's sessions end
    session.flush()
    trail.record(
        session,
        "user.demo_password",
        actor=ACTOR,
        subject_type="app_user",
        subject_id=user.id,
        person_id=user.person_id,
        role=role,
        external=user.external,
    )
    return Login(role, email, password)
