"""Recorded answers of real Mastodon servers: the Status entities they hold.

A recording is a VCR cassette (YAML with ``interactions``, as in Mastodon.py's test suite) or a
JSON file holding one Status or an array of them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml


def recorded_statuses(path: Path, upto: int | None = None) -> list[dict[str, Any]]:
    """The Status entities answered in a recording, in order (reblogs included): within its
    first ``upto`` interactions, successful answers only, DELETE answers left out."""
    if path.suffix == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        answers = [data]
    else:
        interactions = yaml.safe_load(path.read_text(encoding="utf-8"))["interactions"]
        answers = [
            json.loads(i["response"]["body"]["string"])
            for i in interactions[:upto]
            if i["request"]["method"] != "DELETE"
            and i["response"]["status"]["code"] == 200
            and i["response"]["body"].get("string", "").startswith(("{", "["))
        ]
    statuses: list[dict[str, Any]] = []
    for answer in answers:
        for item in answer if isinstance(answer, list) else [answer]:
            if isinstance(item, dict) and {"id", "content", "visibility", "account"} <= set(item):
                statuses.append(item)
    return statuses
