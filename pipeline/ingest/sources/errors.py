"""What can go wrong fetching from a platform, by kind.

Transient (worth asking again: a 5xx, a 429, a dropped connection, a body that did not parse)
or permanent (not worth asking again in this scan: a 4xx other than 429, an answer over the size
limit, not a feed, an account gone, suspended or deactivated). Only ``UnreachableError`` (no
answer at all) counts toward taking a host as down.
"""

from __future__ import annotations

import json


class TransientError(Exception):
    """Worth retrying: a 5xx, a 429 past its tolerance, a dropped connection, a body that did
    not parse. ``status`` is the HTTP status when there was one."""

    def __init__(self, reason: str, *, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class UnreachableError(TransientError):
    """The host did not answer: connection refused or reset, a timeout. Only these count
    toward taking a host as down; any answer, even an error, shows the host is up."""


class RateLimitedError(TransientError):
    """Still 429 after ``http_max_429`` answers: the rest of the scan is no time to insist."""


class PermanentError(Exception):
    """Not worth asking again in this scan: not a feed, XML nothing can be recovered from, a
    4xx other than 429, a body over the size limit, an account gone, suspended or deactivated.

    ``status`` is the HTTP status when there was one; ``reason`` says what to do about it.
    """

    def __init__(self, reason: str, *, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class HttpError(PermanentError):
    """A 4xx answer other than 429. ``error`` and ``message`` are the platform's own words
    when its body says (``{"error": "AccountDeactivated", "message": "..."}``)."""

    def __init__(self, status: int, url: str, body: bytes = b"") -> None:
        self.url = url
        self.error, self.message = _error_words(body)
        said = f": {self.error}" if self.error else ""
        super().__init__(f"HTTP {status} from {url}{said}", status=status)


class TooLargeError(PermanentError):
    """An answer over ``max_response_bytes``: read no further, not asked again this scan."""


def _error_words(body: bytes) -> tuple[str | None, str | None]:
    try:
        data = json.loads(body)
    except ValueError:
        return None, None
    if not isinstance(data, dict):
        return None, None
    error, message = data.get("error"), data.get("message") or data.get("error_description")
    return (
        error[:200] if isinstance(error, str) else None,
        message[:500] if isinstance(message, str) else None,
    )
