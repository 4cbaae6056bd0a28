"""Other people in an access-request export, by role and number instead of by name.

The reviewers, leads, auditors and operators who handled a person's records are other people:
their identities are their personal information, not the requester's. In one export each of
them becomes "reviewer 1", "lead 2", "operator 1"... (the role kept, the number stable within
that export and nowhere else); the requester's own sign-ins stay "you", and machine actors
(``job:...``, ``system:...``) keep their names. An email address quoted in free-form details
is replaced the same way.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
MACHINES = ("job:", "system:")


class Pseudonyms:
    """Stable pseudonyms for one export of the person ``person_id``."""

    def __init__(self, session: Session, person_id: int, own_email: str) -> None:
        rows = session.execute(text("SELECT id, email, role, person_id FROM app_user")).all()
        self.role = {row.id: row.role for row in rows}
        self.user_by_email = {row.email.lower(): row.id for row in rows}
        self.own_users = {row.id for row in rows if row.person_id == person_id}
        self.own_emails = {own_email.lower()} | {
            row.email.lower() for row in rows if row.person_id == person_id
        }
        self.names: dict[str, str] = {}
        self.counts: dict[str, int] = {}

    def _numbered(self, key: str, role: str) -> str:
        if key not in self.names:
            self.counts[role] = self.counts.get(role, 0) + 1
            self.names[key] = f"{role} {self.counts[role]}"
        return self.names[key]

    def user(self, user_id: int | None) -> str | None:
        """The pseudonym of the review-app user ``user_id`` ("you" for the requester)."""
        if user_id is None:
            return None
        if user_id in self.own_users:
            return "you"
        return self._numbered(f"user:{user_id}", self.role.get(user_id, "user"))

    def email(self, address: str) -> str:
        if address.lower() in self.own_emails:
            return address
        user_id = self.user_by_email.get(address.lower())
        if user_id is not None:
            return self.user(user_id) or ""
        return self._numbered(f"email:{address.lower()}", "someone")

    def actor(self, actor: str | None, user_id: int | None = None) -> str | None:
        """An audit actor (``user:EMAIL``, ``cli:NAME``, free text) as a pseudonym."""
        if actor is None or actor.startswith(MACHINES):
            return actor
        if user_id is not None:
            return self.user(user_id)
        if actor.startswith("user:"):
            who = actor.removeprefix("user:")
            return self.user(int(who)) if who.isdigit() else self.email(who)
        return self._numbered(f"actor:{actor}", "operator")

    def scrub(self, value: Any) -> Any:
        """``value`` (JSON-like) with every other person's email address replaced."""
        if isinstance(value, str):
            return EMAIL.sub(lambda m: self.email(m.group(0)), value)
        if isinstance(value, dict):
            return {k: self.scrub(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.scrub(v) for v in value]
        return value
