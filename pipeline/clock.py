"""The one clock: every "now" of the product is read here, and every instant given as text is
parsed here (UTC; a naive time is taken as UTC).

Functions that act at a moment take an optional ``at`` and fall back on :func:`now`, so tests
pass explicit instants instead of patching time.
"""

from __future__ import annotations

from datetime import UTC, datetime


def now(at: datetime | None = None) -> datetime:
    """``at`` when given, else the current time (aware, UTC)."""
    return at or datetime.now(UTC)


def instant(at: datetime | str | None) -> datetime | None:
    """An aware datetime from a datetime or an ISO 8601 string ("" and None give None)."""
    if at is None or at == "":
        return None
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    return at if at.tzinfo else at.replace(tzinfo=UTC)
