"""The embedded PostgreSQL killed: the next command starts it again (even while the dead
server's process is still a zombie that looks alive), or says in one line what to do."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from pipeline.db import embedded

pytestmark = pytest.mark.db  # starts its own server, in a folder of its own

ROOT = Path(__file__).resolve().parents[2]


def _command(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMPARTIAL_DATABASE")}
    env |= {"IMPARTIAL_DATA_DIR": str(data_dir), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _servers(data_dir: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if str(data_dir) in cmdline and proc.info["status"] != psutil.STATUS_ZOMBIE:
            found.append(proc)
    return found


@pytest.fixture
def data_dir(tmp_path: Path):
    yield tmp_path
    _command(tmp_path, "db", "stop")
    assert _servers(tmp_path) == []


def test_the_next_command_starts_a_killed_embedded_server_again(data_dir: Path) -> None:
    first = _command(data_dir, "db", "status")
    assert "server:   PostgreSQL" in first.stdout, first.stdout + first.stderr
    pid = int((data_dir / "pg" / "postmaster.pid").read_text().split()[0])

    os.kill(pid, signal.SIGKILL)  # its pid file stays; its process lingers as a zombie
    after = _command(data_dir, "db", "status")

    assert "Traceback" not in after.stderr, after.stderr
    assert "server:   PostgreSQL" in after.stdout, after.stdout + after.stderr
    new_pid = int((data_dir / "pg" / "postmaster.pid").read_text().split()[0])
    assert new_pid != pid and psutil.pid_exists(new_pid)


def test_a_zombie_postmaster_is_waited_for_then_said_in_one_line(tmp_path: Path) -> None:
    pgdata = tmp_path / "pg"
    pgdata.mkdir()
    child = subprocess.Popen(["true"])  # exits at once; a zombie until it is waited for
    deadline = time.monotonic() + 30
    while psutil.Process(child.pid).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline, "the child never became a zombie"
    (pgdata / "postmaster.pid").write_text(f"{child.pid}\n{pgdata}\n")

    with pytest.raises(embedded.EmbeddedDatabaseError, match="run the command again") as caught:
        embedded._wait_until_dead_server_gone(pgdata, time.monotonic() + 0.2)
    assert "\n" not in str(caught.value)

    child.wait()  # reaped: the dead server is gone and nothing waits
    embedded._wait_until_dead_server_gone(pgdata, time.monotonic())
