"""``impartial check`` asks a process that keeps the model loaded: the protocol, the private
socket, its lifetime, and the fallback to checking in the command's own process.

The process's checks are a fake here (the real model is loaded by the ``model`` tests); what
is tested is how a request reaches it and how its answer, or its absence, comes back."""

from __future__ import annotations

import json
import os
import socket
import stat
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pipeline.cli import app, warm_check
from pipeline.config import get_settings
from pipeline.errors import InputError

RESULT: dict[str, Any] = {
    "categories": [{"category": "partisan", "score": 0.9, "threshold": 0.35, "flagged": True}],
    "flagged": ["partisan"],
    "risk": 0.93,
    "factors": {"audience": {"value": 5000, "contribution": 0.24}},
    "explanation": {
        "disclaimer_stripped": False,
        "categories": {
            "partisan": {
                "matched_terms": ["vote for"],
                "nearest_exemplars": [{"text": "Vote for the party", "similarity": 0.7}],
            }
        },
    },
    "questions": ["Could a reasonable person doubt the author's impartiality?"],
    "note": None,
}


class FakeChecks:
    """The warm process's checks, recorded: a canned result, or a refusal for an empty text."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []

    def __call__(self, request: dict[str, Any]) -> dict[str, Any]:
        self.requests.append(request)
        if not request["text"].strip():
            raise InputError("nothing to check: the text is empty")
        return RESULT


@pytest.fixture
def sock(tmp_path: Path) -> Path:
    return tmp_path / "check.sock"


@pytest.fixture
def warm(sock: Path) -> Iterator[FakeChecks]:
    """A warm process (in a thread) listening at ``sock``, stopped after the test."""
    checks = FakeChecks()
    server = warm_check.listen(sock)
    assert server is not None
    stop = threading.Event()
    thread = threading.Thread(
        target=warm_check.serve,
        args=(server, sock, checks),
        kwargs={"idle_s": 120, "stop": stop},
    )
    thread.start()
    yield checks
    stop.set()
    thread.join(timeout=30)
    assert not thread.is_alive() and not sock.exists()


def test_a_request_gets_the_processs_answer_and_the_socket_goes_when_it_idles(
    sock: Path, warm: FakeChecks
) -> None:
    request = {"text": "Vote!", "audience": 5000, "seniority": None, "lang": "fr"}
    assert warm_check.exchange(sock, request, 10) == RESULT
    assert warm.requests == [request]
    assert stat.S_IMODE(sock.stat().st_mode) == 0o600


def test_the_idle_process_removes_its_socket(sock: Path) -> None:
    server = warm_check.listen(sock)
    warm_check.serve(server, sock, FakeChecks(), idle_s=0.2)
    assert not sock.exists()
    assert warm_check.exchange(sock, {"text": "x"}, 1) is None


def test_bad_input_comes_back_as_its_message(sock: Path, warm: FakeChecks) -> None:
    with pytest.raises(warm_check.WarmCheckRefused, match="the text is empty"):
        warm_check.exchange(sock, {"text": "  "}, 10)


def test_a_socket_left_by_a_dead_process_is_replaced_and_a_live_one_is_kept(sock: Path) -> None:
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(sock))
    dead.close()
    assert warm_check.exchange(sock, {"text": "x"}, 1) is None
    first = warm_check.listen(sock)
    assert first is not None
    try:
        assert warm_check.listen(sock) is None  # another process listens: the second leaves
    finally:
        first.close()


def test_start_returns_once_a_process_listens(sock: Path, warm: FakeChecks) -> None:
    # the started process finds the one listening already, says so and leaves
    assert warm_check.start(sock) is True
    assert warm_check.exchange(sock, {"text": "Vote!"}, 10) == RESULT


def test_the_socket_folder_is_private_and_named_after_what_a_check_depends_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(warm_check.tempfile, "gettempdir", lambda: str(tmp_path))
    folder = warm_check.private_folder()
    assert folder == tmp_path / f"impartial-{os.getuid()}"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    first = warm_check.socket_path()
    monkeypatch.setenv("IMPARTIAL_MODEL", "another-model")
    get_settings.cache_clear()
    assert warm_check.socket_path() not in (first, None)
    folder.chmod(0o755)  # a folder others may open is never used
    assert warm_check.private_folder() is None
    assert warm_check.ask({"text": "x"}) is None


def test_the_check_command_answers_from_the_warm_process(
    sock: Path, warm: FakeChecks, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(warm_check, "socket_path", lambda: sock)
    monkeypatch.setenv("IMPARTIAL_LANG", "fr")
    result = CliRunner().invoke(
        app, ["check", "Votez pour nous!", "--audience", "5000", "--keep-warm", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == RESULT
    assert warm.requests == [
        {"text": "Votez pour nous!", "audience": 5000, "seniority": None, "lang": "fr"}
    ]


def test_bad_input_through_the_warm_process_is_a_one_line_error(
    sock: Path, warm: FakeChecks, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(warm_check, "socket_path", lambda: sock)
    result = CliRunner().invoke(app, ["check", " ", "--keep-warm"])
    assert result.exit_code == 2
    assert "error: nothing to check: the text is empty" in result.output


def test_without_a_warm_process_the_command_checks_in_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []
    monkeypatch.setattr(warm_check, "socket_path", lambda: tmp_path / "none.sock")
    monkeypatch.setattr(warm_check, "start", lambda path: asked.append("start") or False)
    monkeypatch.setattr(
        warm_check, "run_check", lambda text, **options: asked.append("here") or RESULT
    )
    result = CliRunner().invoke(app, ["check", "Vote!", "--keep-warm", "--json"])
    assert result.exit_code == 0, result.output
    assert asked == ["start", "here"]
    assert json.loads(result.stdout)["risk"] == RESULT["risk"]


def test_code_that_calls_the_app_checks_in_its_own_process_unless_it_asks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(warm_check, "ask", lambda request: pytest.fail("asked the process"))
    monkeypatch.setattr(warm_check, "run_check", lambda text, **options: RESULT)
    assert warm_check.enabled is False
    result = CliRunner().invoke(app, ["check", "Vote!", "--json"])
    assert result.exit_code == 0, result.output
