"""``impartial scan`` as a separate process, against the crash probe's data folder and fleet.

Each process gets its own User-Agent, so the fleet can tell its requests from another's
(``benchmarks._probe_traffic``). Its output goes to files, not pipes: a process that logs a
lot while the probe only watches the database must not block on a full pipe.

With the fake model, the command runs through ``FAKE_MODEL``: the CLI itself, with the embedder
factory swapped for the hashed bag-of-words embedder (``pipeline.classify.embedding.fake``),
since no setting selects it; everything else (lease, fetching, storing, assessing, queueing,
exit codes and messages) is the command's own.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from benchmarks._fleet import PLATFORMS

ROOT = Path(__file__).resolve().parents[1]
FAKE_MODEL_ID = "fake-bow"
FAKE_MODEL = """
import sys
from pipeline.classify.embedding import factory
from pipeline.classify.embedding.fake import FakeEmbedder
factory._load = lambda model, batch_size: FakeEmbedder(model_id=model)
from pipeline.cli import app
app(sys.argv[1:], prog_name="impartial")
"""
DEADLINE_S = 300.0  # the longest one scan may take before the probe calls it hung
POLL_S = 0.01


def environment(data_dir: Path, *, fake_model: bool) -> dict[str, str]:
    """This environment without database settings (the embedded server in ``data_dir`` is
    started on demand, as on a fresh machine), with fast fetching from the fake hosts."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMPARTIAL_DATABASE")}
    env |= {
        "IMPARTIAL_DATA_DIR": str(data_dir),
        "IMPARTIAL_RATE_LIMITS": json.dumps(dict.fromkeys(PLATFORMS, "1000000/1")),
        "IMPARTIAL_HTTP_BACKOFF_S": "0.05",
        "IMPARTIAL_HTTP_TIMEOUT_READ_S": "60",  # the gate holds requests for a moment
        "PYTHONUNBUFFERED": "1",
        "COLUMNS": "400",  # one message, one line
    }
    if fake_model:
        env |= {"IMPARTIAL_MODEL": FAKE_MODEL_ID, "IMPARTIAL_FAST_PATH": "off"}
    return env


@dataclass
class Process:
    child: subprocess.Popen
    agent: str
    out: IO[str]
    err: IO[str]
    started: float = field(default_factory=time.monotonic)

    def running(self) -> bool:
        return self.child.poll() is None

    def wait_for(self, condition: Callable[[], object]) -> bool:
        """Poll ``condition`` while the process runs; False if it ended (or hung) first."""
        deadline = time.monotonic() + DEADLINE_S
        while not condition():
            if not self.running() or time.monotonic() > deadline:
                return False
            threading.Event().wait(POLL_S)
        return True

    def finish(self) -> tuple[int, str, str]:
        """Wait for the exit (killing a hung process); (exit code, stdout, stderr)."""
        try:
            code = self.child.wait(max(1.0, DEADLINE_S - (time.monotonic() - self.started)))
        except subprocess.TimeoutExpired:
            self.child.kill()
            code = self.child.wait()
        texts = []
        for stream in (self.out, self.err):
            stream.seek(0)
            texts.append(stream.read())
            stream.close()
        return code, texts[0], texts[1]


class Launcher:
    """Starts ``impartial`` commands, each with a User-Agent of its own; ``scan`` with the
    fake model when asked to."""

    def __init__(self, env: dict[str, str], *, fake_model: bool) -> None:
        self.env = env
        self.fake_model = fake_model
        self._numbers = itertools.count(1)

    def scan(self, *options: str) -> Process:
        return self.start("scan", *options, fake_model=self.fake_model)

    def start(self, *args: str, fake_model: bool = False) -> Process:
        agent = f"Impartial-crash-probe/{next(self._numbers)}"
        head = ["-c", FAKE_MODEL] if fake_model else ["-m", "pipeline"]
        # closed by Process.finish, once the output is read
        out, err = (tempfile.TemporaryFile("w+", encoding="utf-8") for _ in range(2))  # noqa: SIM115
        child = subprocess.Popen(
            [sys.executable, *head, *args],
            cwd=ROOT,
            env={**self.env, "IMPARTIAL_USER_AGENT": agent},
            stdout=out,
            stderr=err,
            text=True,
        )
        return Process(child, agent, out, err)

    def run(self, *args: str) -> tuple[int, str, str]:
        return self.start(*args).finish()
