"""What the fleet's hosts were asked, scan process by scan process, and a gate that holds them.

Each scan process the crash probe starts sends its own User-Agent (``IMPARTIAL_USER_AGENT``), so
every request is put down to the process that made it, even while two scans run at once. The
gate holds every request after the first few until it is opened: the process is then known to
be fetching, with one request in flight per host it was reading, when the probe interrupts it
or starts a second scan.
"""

from __future__ import annotations

import threading
from collections import Counter
from functools import partial

from benchmarks._fleet import Fleet
from pipeline.fakes.server import Request

HOLD_S = 120.0  # the longest a request is held if the probe never opens the gate


class Traffic:
    def __init__(self, fleet: Fleet) -> None:
        self._lock = threading.Lock()
        self._log: list[tuple[str, int, str, tuple[tuple[str, str], ...]]] = []
        self.per_host = [0] * len(fleet.hosts)
        self.held = [0] * len(fleet.hosts)  # requests being held now, by host
        self._hold_after: int | None = None
        self._open = threading.Event()
        self._open.set()
        self.holding = threading.Event()  # set once the gate holds a request
        for h, (server, _) in enumerate(fleet.hosts):
            server.hooks.append(partial(self._hook, h))

    def _hook(self, host: int, request: Request) -> None:
        agent = next((v for k, v in request.headers.items() if k.lower() == "user-agent"), "")
        query = tuple(sorted(request.query.items()))
        with self._lock:
            self._log.append((agent, host, request.path, query))
            self.per_host[host] += 1
            hold = self._hold_after is not None and len(self._log) > self._hold_after
            if hold:
                self.held[host] += 1
        if hold:
            self.holding.set()
            self._open.wait(HOLD_S)
            with self._lock:
                self.held[host] -= 1

    def count(self, agent: str | None = None) -> int:
        """Requests received in all, or from the process that sends ``agent``."""
        with self._lock:
            if agent is None:
                return len(self._log)
            return sum(1 for entry in self._log if entry[0] == agent)

    def doubles(self, agent: str) -> int:
        """Requests the process that sends ``agent`` made more than once (same host, path and
        query): one scan asks each thing once."""
        with self._lock:
            seen = Counter(entry[1:] for entry in self._log if entry[0] == agent)
        return sum(n - 1 for n in seen.values() if n > 1)

    def hold_after(self, requests: int) -> None:
        """Hold every request after the next ``requests`` until ``open()``."""
        with self._lock:
            self.holding.clear()
            self._open.clear()
            self._hold_after = len(self._log) + requests

    def open(self) -> None:
        with self._lock:
            self._hold_after = None
            self._open.set()

    def snapshot(self) -> tuple[list[int], list[int]]:
        """(requests received, requests held now), host by host."""
        with self._lock:
            return list(self.per_host), list(self.held)

    def forget(self) -> None:
        """Drop the log of requests (between rounds, the gate open; the counts by host go on)."""
        with self._lock:
            self._log.clear()
