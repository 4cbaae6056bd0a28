"""``impartial scan`` as separate processes against the fake platforms, for crash tests.

``Gate`` holds the fake host's requests after the first few until it is opened: a scan process
is then known to be in the middle of ingestion (a request in flight), which is when the tests
kill it, interrupt it or start a second scan. Nothing waits on time: the tests wait on these
conditions, each with a deadline.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pipeline.db.models import Post, ScanRun
from pipeline.fakes import FakePlatforms
from pipeline.fakes.server import Request
from pipeline.jobs import scan_lease
from pipeline.registry import accounts

ROOT = Path(__file__).resolve().parents[2]
DEADLINE_S = 60.0
ACCOUNTS, POSTS = 4, 100  # per account: a lookup and three pages or so


class Gate:
    """A hook of a fake host: requests after the first ``after`` wait until ``open()``."""

    def __init__(self, after: int) -> None:
        self.after = after
        self.seen = 0
        self.held = threading.Event()  # a request is being held
        self._open = threading.Event()
        self._lock = threading.Lock()

    def __call__(self, request: Request) -> None:
        with self._lock:
            self.seen += 1
            hold = self.seen > self.after
        if hold and not self._open.is_set():
            self.held.set()
            self._open.wait(DEADLINE_S)

    def wait_held(self) -> None:
        assert self.held.wait(DEADLINE_S), f"no request held after {self.seen} requests"

    def open(self) -> None:
        self._open.set()


def publish(fake: FakePlatforms, db: Session) -> int:
    """ACCOUNTS official Mastodon accounts with POSTS posts each, registered; returns the posts."""
    for i in range(ACCOUNTS):
        handle = fake.add_account("mastodon", f"desk{i}")
        for n in range(POSTS):
            fake.add_post("mastodon", handle, f"Notice {n} from desk {i}: the office hours.")
        spec = accounts.AccountSpec(
            "mastodon", handle, "official", org_unit="Unit", host=fake.host("mastodon")
        )
        accounts.add_account(db, spec, actor="test:scan")
    db.commit()
    return ACCOUNTS * POSTS


def scan_env(**settings: str) -> dict[str, str]:
    """The test's environment (its database) with fast fetching settings."""
    limits = {"mastodon": "1000/1", "bluesky": "1000/1", "rss": "1000/1"}
    return {
        **os.environ,
        "IMPARTIAL_RATE_LIMITS": json.dumps(limits),
        "IMPARTIAL_HTTP_BACKOFF_S": "0.01",
        "IMPARTIAL_HTTP_TIMEOUT_READ_S": "30",
        "PYTHONUNBUFFERED": "1",
        "COLUMNS": "200",
        **settings,
    }


@contextmanager
def process(args: list[str], env: dict[str, str] | None = None) -> Iterator[subprocess.Popen]:
    """A child process (``python -m pipeline ARGS`` or ``python -c CODE``) killed at exit."""
    child = subprocess.Popen(
        [sys.executable, *args],
        cwd=ROOT,
        env=env or scan_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield child
    finally:
        if child.poll() is None:
            child.kill()
        child.communicate(timeout=DEADLINE_S)


def scan_command(*options: str) -> list[str]:
    return ["-m", "pipeline", "scan", *options]


def finish(child: subprocess.Popen) -> tuple[int, str, str]:
    out, err = child.communicate(timeout=DEADLINE_S)
    return child.returncode, out, err


def kill(child: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    child.send_signal(sig)
    if sig == signal.SIGKILL:
        child.wait(DEADLINE_S)


def until(condition: Callable[[], object], what: str) -> None:
    """Poll ``condition`` until it holds, for at most DEADLINE_S."""
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        threading.Event().wait(0.05)


def runs(engine: sa.Engine) -> list[tuple[str, str, int]]:
    """(trigger, status, new posts) of every scan run, oldest first."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(ScanRun.trigger, ScanRun.status, ScanRun.new_posts).order_by(ScanRun.id)
        )
        return [tuple(r) for r in rows]


def posts(engine: sa.Engine) -> tuple[int, int]:
    """(stored posts, distinct external ids): equal when nothing is duplicated."""
    with engine.connect() as conn:
        return tuple(
            conn.execute(
                sa.select(sa.func.count(Post.id), sa.func.count(sa.distinct(Post.external_id)))
            ).one()
        )


def workers(engine: sa.Engine) -> int:
    """Processes working for a scan now (each holds its run key's advisory lock)."""
    with engine.connect() as conn:
        return conn.scalar(
            sa.text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND classid = :working"
            ),
            {"working": scan_lease.WORKING},
        )
