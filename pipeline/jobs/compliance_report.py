"""The weekly compliance reports job (the ``compliance_report`` DAG): every report over the
week, written as JSON; returns the paths (XCom).

Each report written is an export, audited as such (``pipeline.reports.audited``) with the job as
its actor, like an export from the web app or the CLI.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from pipeline.audit.outputs import write_private
from pipeline.clock import instant, now
from pipeline.config import get_settings
from pipeline.db.engine import unit_of_work
from pipeline.reports.audited import export_report
from pipeline.reports.runner import list_reports

ACTOR = "job:compliance_report"


def report_names() -> list[str]:
    """Every report there is (one per ``sql/reports/<name>.sql``)."""
    return [info.name for info in list_reports()]


def run(
    date_from: datetime | str | None,
    date_to: datetime | str | None,
    out_dir: Path | None = None,
) -> dict[str, str]:
    """Run every report for ``[date_from, date_to)``; write each as JSON (readable by its owner
    only); return the paths."""
    start, end = instant(date_from), instant(date_to)
    label = f"{start:%Y-%m-%d}_{end:%Y-%m-%d}" if start and end else f"{now():%Y-%m-%d}"
    out_dir = Path(out_dir or get_settings().data_dir / "reports") / label
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    for name in report_names():
        with unit_of_work() as uow:
            report = export_report(uow.session, name, actor=ACTOR, date_from=start, date_to=end)
            path = out_dir / f"{name}.json"
            write_private(path, json.dumps(report.as_dict(), indent=2) + "\n")
            uow.commit()
        written[name] = str(path)
    return written
