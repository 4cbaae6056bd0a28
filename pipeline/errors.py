"""Errors a user can cause: the CLI prints their message and exits with code 2."""

from __future__ import annotations


class InputError(ValueError):
    """Bad input: nothing was written; the message says what to fix."""
