"""The daily retention and the weekly compliance reports: what their Airflow DAGs call.

Both return JSON-able counts and paths only (Airflow passes them through XCom).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from pipeline.config import get_settings
from pipeline.db.engine import unit_of_work


def _when(at: datetime | str | None) -> datetime | None:
    if at is None or at == "":
        return None
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def retention(at: datetime | str | None = None, *, dry_run: bool = False) -> dict:
    """Purge what consent or the retention periods no longer allow (legal holds excepted)."""
    from pipeline import privacy

    with unit_of_work() as uow:
        result = privacy.run_retention(uow.session, dry_run=dry_run, at=_when(at))
        if not dry_run:
            uow.commit()
    return dict(result)


def report_names() -> list[str]:
    """Every report there is (one per ``sql/reports/<name>.sql``)."""
    from pipeline import reports

    return [info.name for info in reports.list_reports()]


def compliance_reports(
    date_from: datetime | str | None,
    date_to: datetime | str | None,
    out_dir: Path | None = None,
) -> dict[str, str]:
    """Run every report for ``[date_from, date_to)``; write each as JSON; return the paths."""
    from pipeline import reports

    start, end = _when(date_from), _when(date_to)
    label = (
        f"{start:%Y-%m-%d}_{end:%Y-%m-%d}"
        if start and end
        else datetime.now(UTC).strftime("%Y-%m-%d")
    )
    out_dir = Path(out_dir or get_settings().data_dir / "reports") / label
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    for name in report_names():
        report = reports.run_report(name, date_from=start, date_to=end)
        path = out_dir / f"{name}.json"
        path.write_text(json.dumps(report.as_dict(), indent=2) + "\n")
        written[name] = str(path)
    return written
