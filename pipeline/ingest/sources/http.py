"""The one HTTP layer every connector uses.

One ``requests.Session`` per host with connect/read timeouts and a User-Agent naming the
project; bounded retries with exponential backoff and jitter (tenacity) on connection errors,
timeouts, 5xx and unreadable bodies; 429 answers honored through ``Retry-After`` and the
``X-RateLimit-*`` / ``RateLimit-*`` headers; and a per-host limiter shared by every client of
that host in the process (hosts run concurrently, one host's requests in sequence).
"""

from __future__ import annotations

import email.utils
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
from tenacity import (
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from pipeline.config import Settings
from pipeline.ingest.sources.text import parse_time

T = TypeVar("T")
MARGIN_S = 0.02  # slack over the server's window: our send time precedes its arrival time


class TransientError(Exception):
    """Worth retrying: a 5xx, a dropped connection, a body that did not parse."""


class PermanentError(Exception):
    """Not worth asking again in this scan: not a feed, XML nothing can be recovered from, a
    4xx other than 429, a body over the size limit, an account gone, suspended or deactivated.

    ``status`` is the HTTP status when there was one; ``reason`` says what to do about it.
    """

    def __init__(self, reason: str, *, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class HttpError(Exception):
    """A final answer that is not a success (4xx, or retries exhausted on 429)."""

    def __init__(self, status: int, url: str) -> None:
        super().__init__(f"HTTP {status} from {url}")
        self.status = status


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


def _whole_seconds(headers: Mapping[str, str]) -> bool:
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


class HostClient:
    """Requests to one host: limiter, timeouts, retries, and counters for the summary."""

    def __init__(self, host: str, platform: str, settings: Settings) -> None:
        self.host = host.rstrip("/")
        self.settings = settings
        self.limiter = limiter_for(self.host, rate_limit_for(settings, platform, self.host))
        self.session = requests.Session()
        self.session.headers.update({"User-Agent": settings.user_agent})
        self.timeout = (settings.http_timeout_connect_s, settings.http_timeout_read_s)
        self.requests = 0
        self.http_429 = 0
        self.retries = 0

    def close(self) -> None:
        self.session.close()

    def url(self, path: str) -> str:
        return path if "://" in path else f"{self.host}{path}"

    def fetch(
        self,
        path: str,
        parse: Callable[[requests.Response], T],
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> T:
        """GET with retries; ``parse`` runs inside the retry (raise ``TransientError`` there)."""
        retrying = Retrying(
            retry=retry_if_exception_type(TransientError),
            wait=wait_exponential_jitter(
                multiplier=self.settings.http_backoff_s,
                max=30.0,
                jitter=self.settings.http_backoff_s,
            ),
            stop=stop_after_attempt(self.settings.http_retries + 1),
            before_sleep=self._count_retry,
            reraise=True,
        )
        return retrying(self._attempt, self.url(path), parse, params, headers)

    def _count_retry(self, _state: object) -> None:
        self.retries += 1

    def _attempt(
        self,
        url: str,
        parse: Callable[[requests.Response], T],
        params: Mapping[str, Any] | None,
        headers: Mapping[str, str] | None,
    ) -> T:
        response = self._send_within_limits(url, params, headers)
        if response.status_code >= 500:
            if response.headers.get("Retry-After"):  # 503 may say when to come back
                now = time.time()
                until = retry_after({"Retry-After": response.headers["Retry-After"]}, now)
                if until is not None:
                    self.limiter.block_until(min(until, now + self.settings.http_max_wait_s))
            raise TransientError(f"HTTP {response.status_code} from {url}")
        if response.status_code >= 400:
            raise HttpError(response.status_code, url)
        return parse(response)

    def _send_within_limits(
        self, url: str, params: Mapping[str, Any] | None, headers: Mapping[str, str] | None
    ) -> requests.Response:
        for _ in range(self.settings.http_max_429 + 1):
            slot = self.limiter.acquire()
            self.requests += 1
            try:
                response = self.session.get(
                    url, params=params, headers=headers, timeout=self.timeout
                )
            except requests.RequestException as exc:  # connection, timeout, truncated body
                raise TransientError(f"{type(exc).__name__} on {url}") from exc
            finally:
                self.limiter.done(slot)
            now = time.time()
            if response.status_code != 429:
                remaining, reset = server_limits(response.headers, now)
                if remaining == 0 and reset is not None:
                    if _whole_seconds(response.headers):
                        # A reset in whole seconds may be up to one second late: wait for the
                        # earliest moment it can mean; a 429 says if that was too early.
                        reset -= 1.0
                    self.limiter.block_until(
                        min(reset, now + self.settings.http_max_wait_s) + MARGIN_S
                    )
                return response
            self.http_429 += 1
            until = retry_after(response.headers, now) or now + self.settings.http_backoff_s
            self.limiter.block_until(min(until, now + self.settings.http_max_wait_s) + MARGIN_S)
        raise HttpError(429, url)


def json_body(response: requests.Response) -> Any:
    """The decoded JSON body; a body that does not decode is a transient fault."""
    try:
        return response.json()
    except ValueError as exc:
        raise TransientError(f"malformed JSON from {response.url}") from exc
