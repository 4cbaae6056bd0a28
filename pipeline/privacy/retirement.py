"""Retiring a person: they leave the registry's watch as if they had withdrawn every consent.

A person who leaves the organization (or is taken off the registry) must stop being read at
once, and what was kept only for scanning them must go, exactly as a withdrawal of consent
does (``withdrawal``): in one transaction, every consent in force is withdrawn, their personal
accounts are deactivated (the scan reads only active accounts), and the content of those
accounts is purged under the usual rules (a decided flag keeps its decision and a tombstone;
a legal hold suspends the purge). Their sign-in accounts are deactivated and their sessions
end. Official accounts they are named on belong to the organization and stay.

The person's row stays, with ``retired_at`` set: decisions, holds and the audit log name them.
An active admin account linked to the person is never switched off here: the admin's role is
changed or the account deactivated first, under the rule that keeps one admin.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.audit import trail
from pipeline.clock import now
from pipeline.db.models import Account, AppUser, Person
from pipeline.errors import InputError
from pipeline.i18n import gettext as _
from pipeline.privacy.purge import purge_account_content, unconsented_accounts
from pipeline.registry import consent
from pipeline.registry.accounts import deactivate_account
from pipeline.registry.people import check_not_retired, person_by_email
from pipeline.vocabulary import Role

MAX_REASON_CHARS = 500


@dataclass
class Retirement:
    """What retiring a person did, in counts."""

    person: Person
    consents_withdrawn: int = 0
    accounts_deactivated: int = 0
    users_deactivated: int = 0
    purged: dict[str, int] = field(default_factory=dict)


def retire_person(
    session: Session,
    email: str,
    *,
    actor: str,
    actor_user_id: int | None = None,
    reason: str | None = None,
    at: datetime | None = None,
) -> Retirement:
    """Retire the person registered as ``email`` (see the module docstring); audited as
    ``person.retire`` with the counts, beside the events of each step."""
    person = check_not_retired(person_by_email(session, email))
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON_CHARS:
        raise InputError(_("keep the reason under %(n)s characters") % {"n": MAX_REASON_CHARS})
    at = now(at)
    users = list(
        session.scalars(
            select(AppUser).where(AppUser.person_id == person.id, AppUser.active).with_for_update()
        )
    )
    admins = [u.email for u in users if u.role == Role.ADMIN]
    if admins:
        raise InputError(
            _(
                "%(email)s signs in as an administrator: give that account another role or "
                "deactivate it first"
            )
            % {"email": admins[0]}
        )
    done = Retirement(person)
    if any(c.withdrawn_at is None for c in person.consents):
        done.consents_withdrawn = len(
            consent.withdraw_consent(session, person.email, actor=actor, at=at)
        )
    personal = session.scalars(
        select(Account.id).where(
            Account.owner_id == person.id, Account.kind == "personal", Account.active
        )
    ).all()
    for account_id in personal:
        deactivate_account(session, account_id, actor=actor)
    done.accounts_deactivated = len(personal)
    session.flush()
    done.purged = purge_account_content(
        session,
        unconsented_accounts(session, at, person.id),
        actor=actor,
        reason="person retired",
        at=at,
    )
    for user in users:
        user.active = False
        user.session_version += 1
        trail.record(
            session,
            "user.deactivate",
            actor=actor,
            actor_user_id=actor_user_id,
            subject_type="app_user",
            subject_id=user.id,
            person_id=person.id,
            reason="person retired",
        )
    done.users_deactivated = len(users)
    person.retired_at = at
    session.flush()
    trail.record(
        session,
        "person.retire",
        actor=actor,
        actor_user_id=actor_user_id,
        subject_type="person",
        subject_id=person.id,
        person_id=person.id,
        consents_withdrawn=done.consents_withdrawn,
        accounts_deactivated=done.accounts_deactivated,
        users_deactivated=done.users_deactivated,
        accounts_purged=done.purged.get("accounts", 0),
        accounts_held=done.purged.get("held_accounts", 0),
        **({"reason": reason} if reason else {}),
    )
    return done
