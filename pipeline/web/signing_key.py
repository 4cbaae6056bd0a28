"""The key that signs the review app's session cookies, checked before the app starts.

Anyone who knows the key can forge a cookie for any account, so the app refuses to start on a
key that is empty, shorter than 32 bytes, a placeholder (``change-me`` and the like, as in
``.env.example``) or too regular to be random (fewer than 10 distinct characters). With ``IMPARTIAL_SECRET_KEY`` unset, a key is generated once into
``data_dir/secret_key``: written to a private temporary file (mode 0600) in the same folder,
flushed to disk, then linked into place, so a reader sees either no file or the whole key, and
two processes starting at once agree on one key. A key file that exists but is empty, short or
readable by other users is an error, never used nor silently replaced: it may be another
process's key or a sign of tampering, and replacing it would sign everyone out.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
import tempfile
from pathlib import Path

from pipeline.config import Settings
from pipeline.errors import InputError

MIN_KEY_BYTES = 32
KEY_FILE = "secret_key"
# words of placeholder values; compared with the key lowercased, without separators
_PLACEHOLDERS = (
    "changeme",
    "changethis",
    "pleasechange",
    "replaceme",
    "placeholder",
    "yoursecret",
    "secretkey",
    "insertkey",
    "fillme",
)
# whole keys that are placeholders too (shorter words would match inside random keys)
_PLACEHOLDER_KEYS = frozenset({"secret", "password", "changeit", "default", "test", "key"})
# a random key of 32 bytes or more has far more distinct characters than this
_MIN_DISTINCT_CHARS = 10
_SEPARATORS = re.compile(r"[\s_\-.:/]+")
_ROTATE = "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))'"


class SigningKeyError(InputError):
    """The session signing key is missing, weak or a placeholder: the app does not start."""


def signing_key(settings: Settings) -> str:
    """The configured key (``IMPARTIAL_SECRET_KEY``), or the one kept in ``data_dir``."""
    if settings.secret_key is not None:
        return check_key(settings.secret_key, "IMPARTIAL_SECRET_KEY")
    path = Path(settings.data_dir) / KEY_FILE
    if not path.exists():
        _create(path)
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SigningKeyError(
            f"the session signing key file {path} can be read by other users "
            f"(mode {stat.filemode(mode)}): run 'chmod 600 {path}'"
        )
    return check_key(path.read_text(encoding="utf-8"), f"the key file {path}")


def check_key(key: str, source: str) -> str:
    """``key`` stripped, or ``SigningKeyError`` naming ``source`` and how to fix it."""
    key = key.strip()
    words = _SEPARATORS.sub("", key.lower())
    if not key:
        problem = "is empty"
    elif words in _PLACEHOLDER_KEYS or any(word in words for word in _PLACEHOLDERS):
        problem = "is a placeholder"
    elif len(key.encode()) < MIN_KEY_BYTES:
        problem = f"is shorter than {MIN_KEY_BYTES} bytes"
    elif len(set(key)) < _MIN_DISTINCT_CHARS:
        problem = "repeats too few characters to be secret"
    else:
        return key
    fix = (
        f"{_ROTATE} and set it there"
        if source.startswith("IMPARTIAL_")
        else f"delete the file to have a new key generated, or set IMPARTIAL_SECRET_KEY ({_ROTATE})"
    )
    raise SigningKeyError(
        f"the review app's session signing key ({source}) {problem}: {fix}. "
        "A new key signs every user out."
    )


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{KEY_FILE}.")  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(secrets.token_urlsafe(48))
            file.flush()
            os.fsync(file.fileno())
        # link, not replace: when another process got there first, its key stays and is used
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
        _sync_folder(path.parent)
    finally:
        os.unlink(temporary)


def _sync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
