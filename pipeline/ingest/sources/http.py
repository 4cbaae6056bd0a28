"""The one HTTP layer every connector uses.

One ``requests.Session`` per host with connect/read timeouts and a User-Agent naming the
project; bounded retries with exponential backoff and jitter (tenacity) on connection errors,
timeouts, 5xx and unreadable bodies; 429 answers honored through ``Retry-After`` and the
``X-RateLimit-*`` / ``RateLimit-*`` headers (``rate_limits``); and a per-host limiter shared by
every client of that host in the process (hosts run concurrently, one host's requests in
sequence). Bodies are read in chunks up to ``max_response_bytes`` and no further, so a huge
answer costs no more memory than the limit; it is a permanent error (``errors``), as is any 4xx
other than 429.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import requests
from tenacity import (
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from pipeline.config import Settings
from pipeline.ingest.sources.errors import (
    HttpError,
    PermanentError,
    RateLimitedError,
    TooLargeError,
    TransientError,
    UnreachableError,
)
from pipeline.ingest.sources.rate_limits import (
    MARGIN_S,
    RateLimit,
    limiter_for,
    rate_limit_for,
    retry_after,
    server_limits,
    whole_seconds,
)

__all__ = [  # the errors are raised here; connectors import them from here or from errors
    "HostClient",
    "HttpError",
    "PermanentError",
    "RateLimit",
    "RateLimitedError",
    "TooLargeError",
    "TransientError",
    "UnreachableError",
    "json_body",
    "rate_limit_for",
    "retry_after",
    "server_limits",
]

T = TypeVar("T")


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
        self.bytes_read = 0  # body bytes received (decompressed), for the size limit's check

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
        """GET with retries; ``parse`` runs inside the retry (raise ``TransientError`` there to
        ask again, ``PermanentError`` to give up on the account for this scan)."""
        retrying = Retrying(
            retry=retry_if_exception(_worth_retrying),
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
            raise TransientError(
                f"HTTP {response.status_code} from {url}", status=response.status_code
            )
        if response.status_code >= 400:
            raise HttpError(response.status_code, url, response.content)
        return parse(response)

    def _send_within_limits(
        self, url: str, params: Mapping[str, Any] | None, headers: Mapping[str, str] | None
    ) -> requests.Response:
        for _ in range(self.settings.http_max_429 + 1):
            slot = self.limiter.acquire()
            self.requests += 1
            try:
                response = self.session.get(
                    url, params=params, headers=headers, timeout=self.timeout, stream=True
                )
                self._read_body(response, url)
            except requests.RequestException as exc:  # connection, timeout, truncated body
                raise _transport_error(exc, url) from exc
            finally:
                self.limiter.done(slot)
            now = time.time()
            if response.status_code != 429:
                remaining, reset = server_limits(response.headers, now)
                if remaining == 0 and reset is not None:
                    if whole_seconds(response.headers):
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
        raise RateLimitedError(
            f"still rate-limited (429) after {self.settings.http_max_429 + 1} answers from {url}",
            status=429,
        )

    def _read_body(self, response: requests.Response, url: str) -> None:
        """Read the body in chunks, stopping as soon as it passes the limit, so an answer of
        any size costs at most the limit in memory. An error answer's body is only kept for
        the platform's error words (its first ``ERROR_BODY_BYTES``)."""
        error = response.status_code >= 400
        limit = ERROR_BODY_BYTES if error else self.settings.max_response_bytes
        declared = response.headers.get("Content-Length", "").strip()
        if not error and declared.isdigit() and int(declared) > limit:
            response.close()
            raise TooLargeError(f"{url} announces {int(declared):,} bytes, {_over(limit)}")
        body = bytearray()
        try:
            for chunk in response.iter_content(CHUNK_BYTES):
                self.bytes_read += len(chunk)
                if len(body) + len(chunk) > limit:
                    if not error:
                        raise TooLargeError(f"the answer from {url} is {_over(limit)}")
                    body += chunk[: limit - len(body)]
                    response.close()
                    break
                body += chunk
        except BaseException:
            response.close()
            raise
        response._content = bytes(body)  # what .content, .text and .json() read from now on
        response._content_consumed = True


CHUNK_BYTES = 65_536
ERROR_BODY_BYTES = 65_536


def _over(limit: int) -> str:
    return (
        f"over the limit of {limit:,} bytes (IMPARTIAL_MAX_RESPONSE_BYTES): "
        "not read further; raise the limit if this source is legitimate"
    )


def _worth_retrying(exc: BaseException) -> bool:
    return isinstance(exc, TransientError) and not isinstance(exc, RateLimitedError)


def _transport_error(exc: requests.RequestException, url: str) -> TransientError:
    """A failure below HTTP: unreachable (counts toward host down) or a broken body."""
    if isinstance(exc, requests.Timeout) or (
        isinstance(exc, requests.ConnectionError) and _timed_out(exc)
    ):
        return UnreachableError(f"no answer from {url} within the timeout")
    if isinstance(exc, requests.ConnectionError):
        return UnreachableError(f"could not connect to {url} ({type(exc).__name__})")
    return TransientError(f"the answer from {url} broke off ({type(exc).__name__})")


def _timed_out(exc: requests.ConnectionError) -> bool:
    # requests reports a read timeout in the middle of a body as a ConnectionError
    return any("timed out" in str(arg).lower() for arg in exc.args)


def json_body(response: requests.Response) -> Any:
    """The decoded JSON body; a body that does not decode is a transient fault."""
    try:
        return response.json()
    except ValueError as exc:
        raise TransientError(f"malformed JSON from {response.url}") from exc
