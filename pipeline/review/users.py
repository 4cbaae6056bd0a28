"""Local accounts of the review app: roles, who each account is, sessions, lockout.

* A reviewer or lead is linked to the registered person they are (``--person``, or found by
  their email), or marked external with a stated reason: the conflict-of-interest guard can
  only keep someone's own posts from them when it knows who they are.
* Each account has a session version; a signed-in session is valid only while it carries the
  current one. Signing out, a password reset, a role change and deactivation bump it, so every
  session of that account ends at once, on every device.
* The last active admin can be neither deactivated nor given another role.
* Every change, and every reading of the user list, is audited; passwords never are.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.audit import trail
from pipeline.clock import now
from pipeline.config import Settings, get_settings
from pipeline.db.models import AppUser, Person
from pipeline.errors import InputError
from pipeline.i18n import _
from pipeline.registry.people import check_not_retired, normalize_email, person_by_email
from pipeline.review.errors import NotFound
from pipeline.review.passwords import DUMMY_HASH, hash_password, rehashed, verify_password
from pipeline.vocabulary import ROLES, Role

REVIEW_ROLES = (Role.REVIEWER, Role.LEAD)


def add_user(
    session: Session,
    email: str,
    *,
    role: str,
    password: str,
    person_email: str | None = None,
    external: str | None = None,
    actor: str,
    actor_user_id: int | None = None,
) -> AppUser:
    """A new account. ``external`` is the reason a reviewer or lead is no registered person."""
    email = normalize_email(email)
    _check_role(role)
    if session.scalar(select(AppUser.id).where(AppUser.email == email)):
        raise InputError(_("a user %(email)s already exists") % {"email": email})
    person = _person(session, email, person_email, external)
    _check_identity(role, person.id if person else None, bool(external))
    user = AppUser(
        email=email,
        role=role,
        password_hash=hash_password(password, email=email),
        person_id=person.id if person else None,
        external=bool(external),
    )
    session.add(user)
    session.flush()
    trail.record(
        session,
        "user.add",
        actor=actor,
        actor_user_id=actor_user_id,
        subject_type="app_user",
        subject_id=user.id,
        person_id=user.person_id,
        role=role,
        external=user.external,
        **({"external_reason": external.strip()} if external else {}),
    )
    return user


def list_users(session: Session, *, actor: str, actor_user_id: int | None = None) -> list[AppUser]:
    """Every account, by email; the reading is audited."""
    found = list(session.scalars(select(AppUser).order_by(AppUser.email)))
    trail.record(session, "user.list", actor=actor, actor_user_id=actor_user_id, count=len(found))
    return found


def find_user(session: Session, email: str) -> AppUser:
    """The account with this email, active or not."""
    user = session.scalar(select(AppUser).where(AppUser.email == normalize_email(email)))
    if user is None:
        raise InputError(_("no user %(email)s: see 'impartial users list'") % {"email": email})
    return user


def user_by_id(session: Session, user_id: int) -> AppUser:
    user = session.get(AppUser, user_id)
    if user is None:
        raise NotFound(_("no user %(user_id)s") % {"user_id": user_id})
    return user


def user_by_email(session: Session, email: str) -> AppUser:
    user = session.scalar(select(AppUser).where(AppUser.email == normalize_email(email)))
    if user is None or not user.active:
        raise InputError(
            _("no active user %(email)s: add one with 'impartial users add'") % {"email": email}
        )
    return user


def authenticate(
    session: Session,
    email: str,
    password: str,
    *,
    client: str = "unknown",
    at: datetime | None = None,
    settings: Settings | None = None,
) -> AppUser | None:
    """The user when the password matches and the account is not locked; audited either way.

    After ``login_max_failures`` failures in a row the account is locked for
    ``login_lockout_minutes`` (a correct password does not open it early).
    """
    settings = settings or get_settings()
    at = now(at)
    try:
        email = normalize_email(email)
    except InputError:
        email = email.strip().lower()[:320]
    user = session.scalar(select(AppUser).where(AppUser.email == email).with_for_update())
    reason = None
    if user is None or not user.active:
        verify_password(DUMMY_HASH, password)
        reason = "unknown_user"
    elif user.locked_until is not None and user.locked_until > at:
        verify_password(DUMMY_HASH, password)
        reason = "locked"
    elif not verify_password(user.password_hash, password):
        reason = "bad_password"
        user.failed_logins += 1
        if user.failed_logins >= settings.login_max_failures:
            user.locked_until = at + timedelta(minutes=settings.login_lockout_minutes)
            user.failed_logins = 0
    if reason:
        trail.record(
            session,
            "auth.login_failed",
            actor=f"login:{email}",
            actor_user_id=user.id if user else None,
            subject_type="app_user",
            subject_id=user.id if user else None,
            reason=reason,
            client=client,
        )
        return None
    assert user is not None
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = at
    user.password_hash = rehashed(user.password_hash, password) or user.password_hash
    trail.record(
        session,
        "auth.login",
        actor=f"user:{user.email}",
        actor_user_id=user.id,
        subject_type="app_user",
        subject_id=user.id,
        client=client,
    )
    return user


def sign_out(session: Session, user: AppUser) -> None:
    """End every session of ``user`` (the version their cookies carry is no longer valid)."""
    user.session_version += 1
    trail.record(
        session,
        "auth.logout",
        actor=f"user:{user.email}",
        actor_user_id=user.id,
        subject_type="app_user",
        subject_id=user.id,
    )


def deactivate(
    session: Session, user: AppUser, *, actor: str, actor_user_id: int | None = None
) -> None:
    """The account can no longer sign in, and its sessions end now."""
    if not user.active:
        raise InputError(_("%(email)s is already deactivated") % {"email": user.email})
    _keep_an_admin(session, user)
    user.active = False
    _changed(session, user, "user.deactivate", actor, actor_user_id)


def set_role(
    session: Session,
    user: AppUser,
    role: str,
    *,
    person_email: str | None = None,
    external: str | None = None,
    actor: str,
    actor_user_id: int | None = None,
) -> None:
    """Give ``user`` another role; a reviewer or lead needs a person (or ``external``)."""
    _check_role(role)
    if role == user.role:
        raise InputError(
            _("%(email)s is already %(article)s %(role)s")
            % {"email": user.email, "article": _article(role), "role": role}
        )
    if user.person_id is None:
        person = _person(session, user.email, person_email, external)
        if person is not None:
            user.person_id, user.external = person.id, False
        elif external:
            user.external = True
    elif person_email or external:
        raise InputError(
            _("%(email)s is already linked to a registered person") % {"email": user.email}
        )
    _check_identity(role, user.person_id, user.external)
    _keep_an_admin(session, user)
    old, user.role = user.role, role
    details: dict[str, object] = {"from_role": old, "role": role, "external": user.external}
    if external:
        details["external_reason"] = external.strip()
    _changed(session, user, "user.set_role", actor, actor_user_id, **details)


def reset_password(
    session: Session, user: AppUser, password: str, *, actor: str, actor_user_id: int | None = None
) -> None:
    """A new password (checked against the policy); the account's sessions end."""
    user.password_hash = hash_password(password, email=user.email)
    _changed(session, user, "user.reset_password", actor, actor_user_id)


def unlock(
    session: Session, user: AppUser, *, actor: str, actor_user_id: int | None = None
) -> None:
    """Lift a lockout after failed sign-ins now, instead of when it runs out."""
    was_locked = user.locked_until is not None and user.locked_until > now()
    user.failed_logins, user.locked_until = 0, None
    trail.record(
        session,
        "user.unlock",
        actor=actor,
        actor_user_id=actor_user_id,
        subject_type="app_user",
        subject_id=user.id,
        person_id=user.person_id,
        was_locked=was_locked,
    )


def _changed(
    session: Session,
    user: AppUser,
    action: str,
    actor: str,
    actor_user_id: int | None,
    **details: object,
) -> None:
    user.session_version += 1
    session.flush()
    trail.record(
        session,
        action,
        actor=actor,
        actor_user_id=actor_user_id,
        subject_type="app_user",
        subject_id=user.id,
        person_id=user.person_id,
        **details,
    )


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise InputError(
            _("unknown role %(role)r: use one of %(roles)s")
            % {"role": role, "roles": ", ".join(ROLES)}
        )


def _person(
    session: Session, email: str, person_email: str | None, external: str | None
) -> Person | None:
    """The person an account is: the one named, else the one registered with its email."""
    if person_email and external:
        raise InputError(_("give either --person (who they are) or --external, not both"))
    if external is not None and not external.strip():
        raise InputError(_("--external needs a reason, e.g. --external 'agency contractor'"))
    if person_email:
        return check_not_retired(person_by_email(session, person_email))
    same = session.scalar(select(Person).where(Person.email == email))
    if same is not None and external:
        raise InputError(
            _("%(email)s is a registered person's email: this user is that person, not external")
            % {"email": email}
        )
    return check_not_retired(same) if same is not None else None


def _check_identity(role: str, person_id: int | None, external: bool) -> None:
    if role == Role.EMPLOYEE and person_id is None:
        raise InputError(_("an employee account needs --person: the registered person it is"))
    if role in REVIEW_ROLES and person_id is None and not external:
        raise InputError(
            _(
                "a %(role)s must be linked to the registered person they are (--person EMAIL), or marked --external 'REASON' when they are none of the monitored people: otherwise their own posts could reach them"
            )
            % {"role": role}
        )


def _keep_an_admin(session: Session, user: AppUser) -> None:
    if user.role != Role.ADMIN or not user.active:
        return
    # the other admins' rows are locked, so two admins cannot demote each other at once
    admins = select(AppUser.id).where(AppUser.role == Role.ADMIN, AppUser.active)
    if len(session.scalars(admins.with_for_update()).all()) <= 1:
        raise InputError(
            _("%(email)s is the last active admin: make another user admin first")
            % {"email": user.email}
        )


def _article(role: str) -> str:
    return "an" if role[0] in "aeiou" else "a"
