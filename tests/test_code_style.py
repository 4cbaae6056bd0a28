"""The code base stays ruff-clean (the same check as ``make lint``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PATHS = ["pipeline", "dags", "tests", "benchmarks"]


def test_ruff_finds_nothing_to_fix() -> None:
    ruff = Path(sys.executable).parent / "ruff"
    check = subprocess.run([ruff, "check", *PATHS], cwd=ROOT, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout
    fmt = subprocess.run(
        [ruff, "format", "--check", *PATHS], cwd=ROOT, capture_output=True, text=True
    )
    assert fmt.returncode == 0, fmt.stdout
