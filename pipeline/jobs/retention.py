"""The daily retention job (the ``retention`` DAG): JSON-able counts only, for XCom."""

from __future__ import annotations

from datetime import datetime

from pipeline.clock import instant
from pipeline.db.engine import unit_of_work
from pipeline.privacy.retention import run_retention


def run(at: datetime | str | None = None, *, dry_run: bool = False) -> dict:
    """Purge what consent or the retention periods no longer allow (legal holds excepted)."""
    with unit_of_work() as uow:
        result = run_retention(uow.session, dry_run=dry_run, at=instant(at))
        if not dry_run:
            uow.commit()
    return dict(result)
