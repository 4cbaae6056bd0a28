"""The fake hosts themselves: a client that goes away is the client's business, not a fault of
the fake's to print."""

from __future__ import annotations

import pytest

from pipeline.fakes import FakeMastodon


def test_a_client_gone_mid_request_prints_no_traceback_but_a_bug_in_the_fake_does(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with FakeMastodon() as fake:
        server = fake._server
        try:
            raise ConnectionResetError(104, "Connection reset by peer")  # a killed scan
        except ConnectionResetError:
            server.handle_error(None, ("127.0.0.1", 1))
        try:
            raise ValueError("a bug in the fake")
        except ValueError:
            server.handle_error(None, ("127.0.0.1", 1))

    err = capsys.readouterr().err
    assert "ConnectionResetError" not in err
    assert "ValueError: a bug in the fake" in err
