"""A local fake platform host: a real HTTP server on 127.0.0.1 with rate limits and faults.

Subclasses implement ``route``; this base class enforces a request-rate limit (a fixed window
that opens at the first request after the previous one closed, answering 429 with the
platform's headers when exceeded), injects faults on demand or at random, counts what it
served, and stops by itself (daemon threads; a context manager).
"""

from __future__ import annotations

import json
import math
import random
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

FAULTS = ("5xx", "timeout", "slow", "malformed", "truncated", "429")


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    # sent instead of ``body`` with chunked transfer encoding (no Content-Length): an answer
    # whose size the client learns only by reading it
    chunks: Iterable[bytes] | None = None

    @classmethod
    def json(cls, data: Any, status: int = 200, **headers: str) -> Reply:
        return cls(
            status, json.dumps(data).encode(), {"Content-Type": "application/json", **headers}
        )


@dataclass
class Request:
    path: str
    query: dict[str, str]
    headers: dict[str, str]


class FakeHost:
    """Base of the fake Mastodon, Bluesky and feed servers."""

    platform = "none"

    def __init__(
        self,
        *,
        rate_limit: tuple[int, float] | None = None,
        seed: int = 0,
        hang_s: float = 1.0,
        slow_s: float = 0.05,
        storm_wait_s: float = 0.05,
    ) -> None:
        self.rate_limit = rate_limit
        self.hang_s, self.slow_s, self.storm_wait_s = hang_s, slow_s, storm_wait_s
        self.fault_rate = 0.0
        self.fault_kinds: tuple[str, ...] = FAULTS
        self._forced: deque[tuple[str, str]] = deque()
        self._rng = random.Random(seed)
        self._lock = threading.RLock()
        self._window: tuple[float, int] | None = None
        self._stopped = threading.Event()
        self.requests = 0  # every request received
        self.served = 0  # requests inside the rate limit (faults included)
        self.http_429 = 0
        self.last_request_at: float | None = None
        self.faults: Counter[str] = Counter()
        self.by_account: Counter[str] = Counter()  # every request about the account
        self.by_account_clean: Counter[str] = Counter()  # really answered (no 429, no fault)
        self.hooks: list[Callable[[Request], None]] = []
        self.answers: list[tuple[Callable[[Request], bool], Callable[[Request], Reply]]] = []
        self._server = _Server(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},  # stop() returns within one poll
            daemon=True,
            name=f"fake-{self.platform}",
        )
        self._thread.start()

    # --- control -----------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self._stopped.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeHost:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def set_faults(self, rate: float, kinds: tuple[str, ...] = FAULTS) -> None:
        """Inject a fault into ``rate`` of the responses, chosen among ``kinds``."""
        unknown = set(kinds) - set(FAULTS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}: use {FAULTS}")
        self.fault_rate, self.fault_kinds = rate, kinds

    def inject(self, kind: str, count: int = 1, path_contains: str = "") -> None:
        """Answer the next ``count`` requests (whose path contains ``path_contains``) with
        fault ``kind``."""
        if kind not in FAULTS:
            raise ValueError(f"unknown fault kind {kind!r}: use {FAULTS}")
        with self._lock:
            self._forced.extend([(kind, path_contains)] * count)

    def answer_when(
        self, predicate: Callable[[Request], bool], reply: Callable[[Request], Reply]
    ) -> None:
        """Answer every request matching ``predicate`` with ``reply(request)`` instead of the
        route's answer (a recorded error answer, an endless body...), after the rate limit."""
        with self._lock:
            self.answers.append((predicate, reply))

    def reset_counters(self) -> None:
        with self._lock:
            self.requests = self.served = self.http_429 = 0
            self.faults.clear()
            self.by_account.clear()
            self.by_account_clean.clear()

    # --- serving -----------------------------------------------------------------------

    def route(self, request: Request) -> Reply:  # pragma: no cover - subclasses
        raise NotImplementedError

    def account_key(self, request: Request) -> str | None:
        """Which account a request concerns (for the per-account request counts)."""
        return None

    def limit_headers(self, limit: int, remaining: int, reset: float) -> dict[str, str]:
        return {}

    def retry_headers(self, reset: float) -> dict[str, str]:
        return {"Retry-After": str(max(0, math.ceil(reset - time.time())))}

    def storm_reset(self) -> float:
        """When an injected 429 says to retry: as soon as the header format can say."""
        return time.time()

    def handle(self, request: Request) -> tuple[Reply, str | None]:
        for hook in list(self.hooks):
            hook(request)
        with self._lock:
            self.requests += 1
            self.last_request_at = time.time()
            key = self.account_key(request)
            if key:
                self.by_account[key] += 1
            limit_info = self._take_slot()
            if limit_info is not None and limit_info[1] < 0:
                self.http_429 += 1
                return self._too_many(limit_info[0], limit_info[2]), None
            self.served += 1
            fault = self._pick_fault(request)
            if fault == "429":
                self.http_429 += 1
                limit = self.rate_limit[0] if self.rate_limit else 300
                return self._too_many(limit, self.storm_reset()), None
        answer = next((reply for match, reply in list(self.answers) if match(request)), None)
        reply = answer(request) if answer else self.route(request)
        with self._lock:
            if reply.status != 200 and fault in ("malformed", "truncated"):
                self.faults[fault] -= 1  # e.g. a 304 has no body to spoil
                fault = None
            if key and fault in (None, "slow"):  # a slow answer is still an answer
                self.by_account_clean[key] += 1
        if limit_info is not None:
            reply.headers.update(self.limit_headers(*limit_info))
        return reply, fault

    def _too_many(self, limit: int, reset: float) -> Reply:
        reply = Reply.json({"error": "Too many requests"}, 429)
        reply.headers.update(self.limit_headers(limit, 0, reset))
        reply.headers.update(self.retry_headers(reset))
        return reply

    def _take_slot(self) -> tuple[int, int, float] | None:
        """(limit, remaining after this request or -1 when refused, reset epoch)."""
        if self.rate_limit is None:
            return None
        limit, period = self.rate_limit
        now = time.time()
        if self._window is None or now >= self._window[0] + period:
            self._window = (now, 0)
        start, used = self._window
        if used >= limit:
            return limit, -1, start + period
        self._window = (start, used + 1)
        return limit, limit - used - 1, start + period

    def _pick_fault(self, request: Request) -> str | None:
        for i, (kind, needle) in enumerate(self._forced):
            if needle in request.path:
                del self._forced[i]
                self.faults[kind] += 1
                return kind
        if self.fault_rate and self._rng.random() < self.fault_rate:
            kind = self._rng.choice(self.fault_kinds)
            self.faults[kind] += 1
            return kind
        return None

    def wait(self, seconds: float) -> None:
        """Hold a response (slow and hanging faults); returns early when the server stops."""
        self._stopped.wait(seconds)


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away mid-request (a killed scan) is not the fake's error: no
        traceback for it."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


def _handler(fake: FakeHost) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out as two writes
        server_version = f"Fake{fake.platform.title()}/1.0"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            request = Request(parts.path, query, {k: v for k, v in self.headers.items()})
            try:
                reply, fault = fake.handle(request)
            except Exception as exc:  # a bug in a fake shows as a 500, not a hung client
                reply, fault = Reply.json({"error": f"fake failed: {exc}"}, 500), None
            try:
                self._send(reply, fault)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

        def _send(self, reply: Reply, fault: str | None) -> None:
            if reply.chunks is not None:
                self._send_chunked(reply)
                return
            body = reply.body
            if fault == "5xx":
                limits = {k: v for k, v in reply.headers.items() if "ratelimit" in k.lower()}
                reply = Reply.json({"error": "Service unavailable"}, 503, **limits)
                body = reply.body
            elif fault == "timeout":
                fake.wait(fake.hang_s)
            elif fault == "slow":
                fake.wait(fake.slow_s)
            elif fault == "malformed":
                body = body[: len(body) // 2] + b"\x00<{oops"
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if fault == "truncated" and len(body) > 1:
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(body)

        def _send_chunked(self, reply: Reply) -> None:
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for chunk in reply.chunks or ():
                if chunk:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")

    return Handler
