"""The password policy of the review app's accounts, and their argon2 hashes.

One rule for every way a password is set (``users add``, ``users reset-password``, the admin
page): at least 12 characters once surrounding blanks are dropped (so twelve spaces are no
password), not the account's email nor its part before the ``@``, and not a common password,
even with digits or symbols added around it (``common_passwords.txt``, shipped with the package).
Messages say what to change and never repeat the password.
"""

from __future__ import annotations

import string
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from pipeline.errors import InputError
from pipeline.i18n import _

MIN_PASSWORD_CHARS = 12
# a user name this short appears inside ordinary words: only an exact match counts then
_MIN_NAME_CHARS = 4
_PADDING = string.digits + string.punctuation + string.whitespace
_COMMON_FILE = Path(__file__).with_name("common_passwords.txt")
_hasher = PasswordHasher()
# Compared against when the email is unknown, so a miss costs as much as a wrong password.
DUMMY_HASH = _hasher.hash("impartial-dummy-password")


@cache
def common_passwords() -> frozenset[str]:
    lines = _COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def check_password(password: str, *, email: str | None = None) -> None:
    """Raise ``InputError`` saying what is wrong with ``password`` for the account ``email``."""
    core = password.strip()
    if not core:
        raise InputError(_("the password is blank: choose one of at least 12 characters"))
    if len(core) < MIN_PASSWORD_CHARS:
        raise InputError(
            _(
                "a password needs at least %(n)s characters (not counting blanks around it): a few unrelated words make a good one"
            )
            % {"n": MIN_PASSWORD_CHARS}
        )
    lowered = core.lower()
    if email:
        email = email.strip().lower()
        name = email.split("@", 1)[0]
        if email in lowered or (
            name in lowered if len(name) >= _MIN_NAME_CHARS else lowered == name
        ):
            raise InputError(_("the password must not contain the account's email or user name"))
    common = common_passwords()
    if lowered in common or lowered.strip(_PADDING) in common:
        raise InputError(_("that password is on a list of common passwords: choose another"))
    if len(set(lowered)) < 5:
        raise InputError(_("the password repeats too few characters: choose a less regular one"))


def hash_password(password: str, *, email: str | None = None) -> str:
    """The argon2id hash of a password that meets the policy (``check_password``)."""
    check_password(password, email=email)
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def rehashed(password_hash: str, password: str) -> str | None:
    """A new hash of a password just verified, when its hash has outdated parameters (the
    policy is not applied again: the password was accepted when it was set)."""
    return _hasher.hash(password) if _hasher.check_needs_rehash(password_hash) else None
