"""Local accounts of the review app: argon2 password hashes, roles, lockout after failures."""

from __future__ import annotations

from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.audit import trail
from pipeline.clock import now
from pipeline.config import Settings, get_settings
from pipeline.db.models import AppUser
from pipeline.errors import InputError
from pipeline.registry.people import normalize_email, person_by_email
from pipeline.vocabulary import ROLES

MIN_PASSWORD_CHARS = 12
_hasher = PasswordHasher()
# Compared against when the email is unknown, so a miss costs as much as a wrong password.
_DUMMY_HASH = _hasher.hash("impartial-dummy-password")


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_CHARS:
        raise InputError(f"a password needs at least {MIN_PASSWORD_CHARS} characters")
    return _hasher.hash(password)


def add_user(
    session: Session,
    email: str,
    *,
    role: str,
    password: str,
    person_email: str | None = None,
    actor: str,
) -> AppUser:
    email = normalize_email(email)
    if role not in ROLES:
        raise InputError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    if session.scalar(select(AppUser.id).where(AppUser.email == email)):
        raise InputError(f"a user {email} already exists")
    person = person_by_email(session, person_email) if person_email else None
    if role == "employee" and person is None:
        raise InputError("an employee account needs --person: the registered person it is")
    user = AppUser(
        email=email,
        role=role,
        password_hash=hash_password(password),
        person_id=person.id if person else None,
    )
    session.add(user)
    session.flush()
    trail.record(
        session,
        "user.add",
        actor=actor,
        subject_type="app_user",
        subject_id=user.id,
        person_id=user.person_id,
        role=role,
    )
    return user


def list_users(session: Session) -> list[AppUser]:
    return list(session.scalars(select(AppUser).order_by(AppUser.email)))


def user_by_email(session: Session, email: str) -> AppUser:
    user = session.scalar(select(AppUser).where(AppUser.email == normalize_email(email)))
    if user is None or not user.active:
        raise InputError(f"no active user {email}: add one with 'impartial users add'")
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
        _verify(_DUMMY_HASH, password)
        reason = "unknown_user"
    elif user.locked_until is not None and user.locked_until > at:
        _verify(_DUMMY_HASH, password)
        reason = "locked"
    elif not _verify(user.password_hash, password):
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
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
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


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
