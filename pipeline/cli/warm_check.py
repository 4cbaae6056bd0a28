"""The self-check with its model kept loaded: ``impartial check`` answers in a second or two
after its first call, instead of loading the model each time (about half a minute on 2 cores).

The first ``impartial check`` starts a background process (``main`` below) that loads the
model once and answers checks on a Unix socket; it exits after ``IDLE_S`` without a check. The
socket lives in a folder only this operating-system user may open (the draft's text goes
through it, and nothing about the text is logged or kept), and its name is a hash of what a
check depends on (the interpreter, the data folder, the database, the model, the policy file
and the classifier's code), so a process started with other settings or older code is never
asked. Any failure of the warm path (no process, a timeout, a refused socket) falls back to
checking in the command's own process: a draft is always checked.

Only the ``impartial`` program starts one (``pipeline.cli.main`` sets ``enabled``); code that
calls the Typer app itself (tests, scripts) checks in its own process unless it asks. A warm
check must start fast, so this module imports nothing heavy at the top.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import select
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

IDLE_S = 600.0  # the background process exits after this long without a check
ANSWER_S = 600.0  # the longest a check waits for the process (it may still be loading)
STARTUP_S = 60.0  # the longest the process may take to listen
PACKAGE = Path(__file__).resolve().parents[1]

enabled = False  # set by the `impartial` program; see the module's docstring
PROGRAM = "import sys; from pipeline.cli.warm_check import main; sys.exit(main(sys.argv[1:]))"

Handler = Callable[[dict[str, Any]], dict[str, Any]]


class WarmCheckRefused(ValueError):
    """The warm process judged the request itself bad (an ``InputError`` there)."""


def run_check(
    text: str, *, audience: int | None, seniority: str | None, lang: str
) -> dict[str, Any]:
    """The self-check with the live classifier when the database answers, else the shipped
    policy (a draft is checked even without a database). Reads only; stores nothing."""
    from sqlalchemy.orm import Session

    from pipeline.classify.selfcheck import check_text
    from pipeline.db.engine import get_engine
    from pipeline.errors import InputError

    options = {"audience": audience, "seniority": seniority, "lang": lang}
    try:
        with Session(get_engine()) as db:
            result = check_text(text, session=db, **options)
            db.rollback()
    except InputError:
        raise
    except Exception:  # the database is optional for a self-check: use the shipped policy
        result = check_text(text, **options)
    return result


# --- where the process listens ------------------------------------------------------------


def _code_stamp() -> str:
    """Changes whenever the code that judges a draft does (the classifier's modules and its
    policy, this module): a process never answers with older code."""
    files = [Path(__file__), *(PACKAGE / "classify").rglob("*.py")]
    files += (PACKAGE / "classify").rglob("*.yaml")
    return str(max(p.stat().st_mtime_ns for p in files))


def fingerprint() -> str:
    from pipeline.config import get_settings

    settings = get_settings()
    policy = settings.policy_file
    parts = [
        sys.executable,
        str(settings.data_dir.expanduser().resolve()),
        settings.database_url or "",
        settings.model,
        str(policy or ""),
        str(policy.stat().st_mtime_ns) if policy and policy.exists() else "",
        _code_stamp(),
    ]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]


def private_folder() -> Path | None:
    """A folder only this user may open (created 0700), or None when it cannot be trusted."""
    folder = Path(tempfile.gettempdir()) / f"impartial-{os.getuid()}"
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        status = folder.lstat()
    except OSError:
        return None
    if not stat.S_ISDIR(status.st_mode) or status.st_uid != os.getuid():
        return None
    if status.st_mode & 0o077:
        return None
    return folder


def socket_path() -> Path | None:
    folder = private_folder()
    return None if folder is None else folder / f"check-{fingerprint()}.sock"


# --- the client -------------------------------------------------------------------------


def exchange(path: Path, request: dict[str, Any], timeout_s: float) -> dict[str, Any] | None:
    """One request to the process at ``path``: its answer, or None when none answers."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(timeout_s)
        try:
            conn.connect(str(path))
            conn.sendall(json.dumps(request).encode() + b"\n")
            conn.shutdown(socket.SHUT_WR)
            chunks = []
            while chunk := conn.recv(65536):
                chunks.append(chunk)
        except OSError:  # not there, refused, reset or too slow: check in this process
            return None
    try:
        answer = json.loads(b"".join(chunks))
    except ValueError:
        return None
    if "refused" in answer:
        raise WarmCheckRefused(answer["refused"])
    return answer.get("result")


def start(path: Path, *, idle_s: float = IDLE_S) -> bool:
    """Start the background process for ``path``; True once it listens (or another does)."""
    log = path.with_suffix(".log")
    read_end, write_end = os.pipe()
    try:
        with log.open("ab") as errors:
            subprocess.Popen(
                [sys.executable, "-c", PROGRAM, str(path), str(idle_s)],
                pass_fds=(write_end,),
                env={**os.environ, "IMPARTIAL_WARM_CHECK_READY_FD": str(write_end)},
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=errors,
                start_new_session=True,  # Ctrl-C in the terminal does not stop it
            )
    except OSError:
        os.close(read_end)
        return False
    finally:
        os.close(write_end)
    try:
        ready, _, _ = select.select([read_end], [], [], STARTUP_S)
        return bool(ready) and os.read(read_end, 64).startswith(b"listening")
    finally:
        os.close(read_end)


def ask(request: dict[str, Any], *, may_start: bool = True) -> dict[str, Any] | None:
    """The warm process's answer to a check (starting the process when none runs and
    ``may_start``), or None: the caller then checks in its own process."""
    path = socket_path()
    if path is None:
        return None
    answer = exchange(path, request, ANSWER_S)
    if answer is None and may_start and start(path):
        answer = exchange(path, request, ANSWER_S)
    return answer


# --- the background process -------------------------------------------------------------


def _alive(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(str(path))
        except OSError:
            return False
    return True


def listen(path: Path) -> socket.socket | None:
    """The listening socket at ``path``, or None when a live process already listens there.

    Taken under a lock, so two processes started at once never both listen; a socket left by a
    process that died is replaced."""
    with path.with_suffix(".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.exists():
            if _alive(path):
                return None
            path.unlink()
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(str(path))
        os.chmod(path, 0o600)
        server.listen(16)
        return server


def serve(
    server: socket.socket,
    path: Path,
    handler: Handler,
    *,
    idle_s: float,
    stop: threading.Event | None = None,
) -> None:
    """Answer one request at a time until ``idle_s`` pass without one (or ``stop`` is set);
    then remove the socket (if it is still this process's) and return."""
    mine = path.stat().st_ino
    stop = stop or threading.Event()
    server.settimeout(min(idle_s, 0.25))  # how often ``stop`` and the idle time are looked at
    last = time.monotonic()
    try:
        while not stop.is_set() and time.monotonic() - last < idle_s:
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(30)
                _answer(conn, handler)
            last = time.monotonic()
    finally:
        server.close()
        with contextlib.suppress(OSError):
            if path.stat().st_ino == mine:
                path.unlink()


def _answer(conn: socket.socket, handler: Handler) -> None:
    from pipeline.errors import InputError

    try:
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
        request = json.loads(data)
        reply: dict[str, Any] = {"result": handler(request)}
    except InputError as exc:
        reply = {"refused": str(exc)}
    except Exception as exc:  # the client checks in its own process; the text is not logged
        print(f"warm check: a check failed ({type(exc).__name__})", file=sys.stderr)
        reply = {"failed": type(exc).__name__}
    with contextlib.suppress(OSError):
        conn.sendall(json.dumps(reply).encode())


def _check(request: dict[str, Any]) -> dict[str, Any]:
    return run_check(
        str(request.get("text", "")),
        audience=request.get("audience"),
        seniority=request.get("seniority"),
        lang=str(request.get("lang") or "en"),
    )


def main(argv: list[str]) -> int:
    path, idle_s = Path(argv[0]), float(argv[1])
    ready_fd = int(os.environ.pop("IMPARTIAL_WARM_CHECK_READY_FD", "-1"))
    server = listen(path)
    if ready_fd >= 0:
        with contextlib.suppress(OSError):
            os.write(ready_fd, b"listening\n")
            os.close(ready_fd)
    if server is None:
        return 0  # another process listens there already
    # stopped by a signal, it still removes its socket (``serve``'s ``finally``)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    # load the model before the first request is taken (it waits in the socket's backlog)
    with contextlib.suppress(Exception):
        _check({"text": "warming up the model"})
    serve(server, path, _check, idle_s=idle_s)
    return 0
