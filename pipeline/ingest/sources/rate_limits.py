"""Rate limits: ours per host (``IMPARTIAL_RATE_LIMITS``), and the server's as its headers say.

A per-host limiter is shared by every client of that host in the process; ``server_limits``
and ``retry_after`` read ``Retry-After`` and the ``X-RateLimit-*`` / ``RateLimit-*`` headers
(ISO 8601, epoch or delta seconds).
"""

from __future__ import annotations

import email.utils
import re
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from pipeline.config import Settings
from pipeline.ingest.sources.text import parse_time

MARGIN_S = 0.02  # slack over the server's window: our send time precedes its arrival time


@dataclass(frozen=True)
class RateLimit:
    limit: int
    period_s: float

    @classmethod
    def parse(cls, value: str) -> RateLimit:
        """``"300/300"``: 300 requests per 300 seconds."""
        count, _, seconds = value.partition("/")
        try:
            limit, period = int(count), float(seconds)
        except ValueError:
            raise ValueError(f"rate limit {value!r} is not REQUESTS/SECONDS") from None
        if limit < 1 or period <= 0:
            raise ValueError(f"rate limit {value!r} must allow at least 1 request per >0 s")
        return cls(limit, period)


def rate_limit_for(settings: Settings, platform: str, host: str) -> RateLimit:
    """The host's own entry (base URL or host name) wins over the platform's."""
    parts = urlsplit(host)
    for key in (host, parts.netloc, parts.hostname or "", platform):
        if key and key in settings.rate_limits:
            return RateLimit.parse(settings.rate_limits[key])
    return RateLimit(300, 300.0)


class HostLimiter:
    """At most ``limit`` requests in any ``period_s`` window, plus blocks the server asks for."""

    def __init__(self, rate: RateLimit) -> None:
        self.rate = rate
        self._sent: deque[list[float]] = deque()  # one mutable [time] cell per request
        self._blocked_until = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> list[float]:
        """Wait for a slot; returns it, to be passed to ``done`` when the answer is in."""
        while True:
            with self._lock:
                now = time.time()
                while self._sent and self._sent[0][0] <= now - self.rate.period_s:
                    self._sent.popleft()
                wait = self._blocked_until - now
                if wait <= 0:
                    if len(self._sent) < self.rate.limit:
                        slot = [now]
                        self._sent.append(slot)
                        return slot
                    wait = self._sent[0][0] + self.rate.period_s + MARGIN_S - now
            time.sleep(max(wait, 0.001))

    def done(self, slot: list[float]) -> None:
        """Count the request from when its answer came: the server saw it no later than that,
        so a window the server opened on its arrival has surely closed one period after."""
        with self._lock:
            slot[0] = time.time()

    def block_until(self, at: float) -> None:
        with self._lock:
            self._blocked_until = max(self._blocked_until, at)


_limiters: dict[tuple[str, RateLimit], HostLimiter] = {}
_limiters_lock = threading.Lock()


def limiter_for(host: str, rate: RateLimit) -> HostLimiter:
    with _limiters_lock:
        return _limiters.setdefault((host, rate), HostLimiter(rate))


_RATELIMIT_FIELD = re.compile(r"\b(r|remaining|t|reset)=(\d+(?:\.\d+)?)")


def _header(headers: Mapping[str, str], *names: str) -> str | None:
    for name in names:
        value = headers.get(name)
        if value:
            return value.strip()
    return None


def _absolute(value: str, now: float) -> float | None:
    """A reset time as epoch seconds: ISO 8601 (Mastodon), epoch or delta seconds."""
    try:
        number = float(value)
    except ValueError:
        try:
            return parse_time(value).timestamp()
        except ValueError:
            return None
    return number if number > 1e9 else now + number


def server_limits(headers: Mapping[str, str], now: float) -> tuple[int | None, float | None]:
    """(remaining, reset as epoch seconds) from whichever rate-limit headers the host sends."""
    remaining = _header(headers, "X-RateLimit-Remaining", "RateLimit-Remaining")
    reset = _header(headers, "X-RateLimit-Reset", "RateLimit-Reset")
    combined = headers.get("RateLimit")  # IETF draft: RateLimit: "default";r=0;t=5
    if combined:
        fields = dict(_RATELIMIT_FIELD.findall(combined))
        remaining = remaining or fields.get("r") or fields.get("remaining")
        if reset is None and (fields.get("t") or fields.get("reset")):
            reset = str(float(fields.get("t") or fields["reset"]))  # delta seconds
    left = int(float(remaining)) if remaining and remaining.replace(".", "").isdigit() else None
    return left, (_absolute(reset, now) if reset else None)


def whole_seconds(headers: Mapping[str, str]) -> bool:
    reset = _header(headers, "X-RateLimit-Reset", "RateLimit-Reset")
    return reset is not None and reset.isdigit()


def retry_after(headers: Mapping[str, str], now: float) -> float | None:
    """Epoch seconds after which a 429 may be retried, from Retry-After or the reset header."""
    value = _header(headers, "Retry-After")
    if value:
        if value.isdigit():
            return now + int(value)
        try:
            return email.utils.parsedate_to_datetime(value).timestamp()
        except (TypeError, ValueError):
            pass
    return server_limits(headers, now)[1]
