"""Errors of the review queue; all are user-caused, so the CLI prints them and exits 2."""

from __future__ import annotations

from pipeline.errors import InputError


class NotFound(InputError):
    """No such flag, or not one this user may know about: the message is the same either way,
    so the answer does not tell which flag ids exist; ``reason`` (for the audit) says which."""

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason or message


class NotAllowed(InputError):
    """The user's role or relation to the post forbids the action (conflict of interest)."""


class Conflict(InputError):
    """The flag is not in a state that allows the action (not claimed, lease expired...)."""
