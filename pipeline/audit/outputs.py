"""What leaves the system as files: CSV that a spreadsheet shows as text, files only their owner
reads.

Every CSV writer (the audit log, the reports) goes through :func:`csv_text`, and every file an
export or a report run writes goes through :func:`write_private`.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

# A cell starting with one of these is run as a formula by spreadsheets (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value``, with a single quote in front when it is text a spreadsheet would evaluate.

    Numbers stay numbers: only text can carry a formula.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(columns: Iterable[str], rows: Iterable[Iterable[Any]]) -> str:
    """A header row and the rows as CSV text, every cell through :func:`safe_cell`."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(c) for c in columns])
    writer.writerows([safe_cell(v) for v in row] for row in rows)
    return out.getvalue()


def write_private(path: Path, content: str) -> None:
    """Write ``content`` to ``path`` with mode 0600, atomically.

    The text goes to a temporary file in the same folder, created 0600 (``mkstemp``), and then
    replaces ``path``: no reader sees a half-written file, and at no moment can another user
    read it (an existing file of that name is replaced, not reused with its old mode).
    """
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
