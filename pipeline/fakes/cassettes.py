"""Answers recorded from real servers (VCR.py cassettes), replayed by the fake hosts.

``recorded_reply`` finds the answer a real server gave to one request of a cassette and
returns it as a ``Reply``: the recorded status, body and headers (rate-limit headers included),
less those the fake server writes itself (length, encoding, connection).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from pipeline.fakes.server import Reply

_HOP_BY_HOP = {"content-length", "content-encoding", "transfer-encoding", "connection"}


def recorded_reply(path: Path, uri_contains: str, *, status: int | None = None) -> Reply:
    """The recorded answer to the first request whose URI contains ``uri_contains`` (and,
    when given, whose answer had ``status``)."""
    interactions = yaml.safe_load(path.read_text(encoding="utf-8"))["interactions"]
    for interaction in interactions:
        response = interaction["response"]
        code = int(response["status"]["code"])
        if uri_contains in interaction["request"]["uri"] and status in (None, code):
            body = response["body"].get("string", "")
            headers = {
                name: ", ".join(values) if isinstance(values, list) else str(values)
                for name, values in response.get("headers", {}).items()
                if name.lower() not in _HOP_BY_HOP
            }
            return Reply(code, body.encode() if isinstance(body, str) else body, headers)
    raise LookupError(f"no recorded answer to a request for {uri_contains!r} in {path.name}")
