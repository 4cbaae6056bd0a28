"""Sign-in throttling: attempts per client address and per account, in fixed windows.

Each key (a client address, or an account's normalised email) may make ``attempts`` sign-in
attempts in a window of ``seconds`` that opens at its first attempt; later attempts in that
window are refused. The address is counted first: an address that is refused does not use up
the account's attempts, and attempts at unknown emails are bounded by the address's limit.

Refused attempts are not audited one by one (a flood would fill the append-only log). Each
throttled window gives two events whatever the flood's size: ``auth.login_throttled`` at its
first refusal and, once it is over, ``auth.login_throttle_ended`` with the number it refused.
An ended window is noticed at the next sign-in attempt from anyone. Counts live in the process:
a restart opens every window afresh, and a window still open then is not summed up.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["address", "account"]


@dataclass(frozen=True)
class Limit:
    """At most ``attempts`` per window of ``seconds``; parsed from ``ATTEMPTS/SECONDS``."""

    attempts: int
    seconds: float

    @classmethod
    def parse(cls, spec: str) -> Limit:
        attempts, _, seconds = spec.partition("/")
        return cls(int(attempts), float(seconds))


@dataclass(frozen=True)
class ThrottleEvent:
    """An audit event to write: ``action`` about one key."""

    action: str
    kind: Kind
    key: str
    details: dict[str, int | float]


@dataclass(frozen=True)
class Verdict:
    """``refused_by`` is None when the attempt may go ahead."""

    refused_by: Kind | None
    retry_after_s: int
    events: list[ThrottleEvent] = field(default_factory=list)


@dataclass
class _Window:
    ends: float
    attempts: int = 0


class LoginThrottle:
    """Counts sign-in attempts per address and per account (thread-safe, in this process)."""

    def __init__(
        self, *, address: Limit, account: Limit, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits: dict[Kind, Limit] = {"address": address, "account": account}
        self.clock = clock
        self._windows: dict[tuple[Kind, str], _Window] = {}
        self._ending: deque[tuple[float, Kind, str]] = deque()  # in order of end: equal lengths
        self._lock = threading.Lock()

    def attempt(self, *, address: str, account: str) -> Verdict:
        """Count one attempt; the verdict carries the audit events that are now due."""
        with self._lock:
            now = self.clock()
            events = self._close_ended(now)
            for kind, key in (("address", address), ("account", account)):
                limit = self.limits[kind]
                window = self._windows.get((kind, key))
                if window is None:
                    window = self._windows[(kind, key)] = _Window(now + limit.seconds)
                    self._ending.append((window.ends, kind, key))
                window.attempts += 1
                if window.attempts > limit.attempts:
                    if window.attempts == limit.attempts + 1:
                        events.append(self._event("auth.login_throttled", kind, key))
                    return Verdict(kind, math.ceil(window.ends - now), events)
            return Verdict(None, 0, events)

    def _close_ended(self, now: float) -> list[ThrottleEvent]:
        events = []
        while self._ending and self._ending[0][0] <= now:
            _, kind, key = self._ending.popleft()
            window = self._windows.pop((kind, key))
            refused = window.attempts - self.limits[kind].attempts
            if refused > 0:
                events.append(self._event("auth.login_throttle_ended", kind, key, refused=refused))
        return events

    def _event(self, action: str, kind: Kind, key: str, **details: int) -> ThrottleEvent:
        limit = self.limits[kind]
        return ThrottleEvent(
            action,
            kind,
            key,
            {"attempts_allowed": limit.attempts, "window_s": limit.seconds, **details},
        )
