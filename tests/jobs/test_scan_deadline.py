"""The scan deadline check, with an explicit clock (deadline 06:00, America/Toronto)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from pipeline.config import Settings
from pipeline.db.models import AuditEvent, ScanRun
from pipeline.jobs import scan_deadline

TORONTO = ZoneInfo("America/Toronto")


def local(hour: int, minute: int = 0, day: int = 9) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=TORONTO)


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """The alerts the check sends (their delivery is tested in test_alerts.py)."""
    out: list[tuple] = []
    monkeypatch.setattr(
        scan_deadline.alerts, "notify", lambda *args, **kwargs: out.append(args) or ["webhook"]
    )
    return out


SETTINGS = Settings(scan_deadline="06:00")


def scan(db: Session, status: str, started: datetime, finished: datetime | None) -> None:
    db.add(
        ScanRun(
            run_key=f"nightly_scan/{started.isoformat()}",
            trigger="airflow",
            status=status,
            started_at=started,
            finished_at=finished,
        )
    )
    db.commit()


def test_without_a_deadline_nothing_is_checked(sent: list) -> None:
    assert scan_deadline.check(local(9), settings=Settings(scan_deadline=None)) == {"status": "off"}
    assert sent == []


def test_before_the_deadline_nothing_is_due(db: Session, sent: list) -> None:
    result = scan_deadline.check(local(5, 59), settings=SETTINGS)
    assert result["status"] == "not_due" and sent == []


def test_a_scan_that_succeeded_in_time_meets_the_deadline(db: Session, sent: list) -> None:
    scan(db, "success", local(2), local(2, 40))
    result = scan_deadline.check(local(6), settings=SETTINGS)
    assert result["status"] == "met" and sent == []


def test_a_missed_deadline_alerts_once_and_is_audited(db: Session, sent: list) -> None:
    scan(db, "partial", local(2), local(2, 40))  # ended, but not successfully
    scan(db, "success", local(1, day=8), local(2, day=8))  # yesterday's success does not count

    first = scan_deadline.check(local(6), settings=SETTINGS)
    again = scan_deadline.check(local(7), settings=SETTINGS)

    assert (first["status"], first["alerted"]) == ("missed", True)
    assert first["latest"]["status"] == "partial" and first["day"] == "2026-03-09"
    assert (again["status"], again["alerted"]) == ("missed", False)
    [(subject, text, details)] = sent
    assert details["deadline"] == local(6).isoformat()
    assert "2026-03-09" in subject and "partial" in text and "06:00" in text
    audited = db.scalars(
        sa.select(AuditEvent.subject_id).where(AuditEvent.action == scan_deadline.ACTION)
    ).all()
    assert audited == ["2026-03-09"]


def test_a_scan_that_succeeded_after_the_deadline_was_late(db: Session, sent: list) -> None:
    scan(db, "success", local(2), local(6, 30))
    assert scan_deadline.check(local(7), settings=SETTINGS)["status"] == "missed"
    assert len(sent) == 1


def test_a_day_without_any_scan_misses_the_deadline(db: Session, sent: list) -> None:
    result = scan_deadline.check(local(6, day=10), settings=SETTINGS)
    assert (result["status"], result["latest"]) == ("missed", None)
    assert "no scan started" in sent[0][1]


def test_the_deadline_follows_the_local_clock_across_a_time_change() -> None:
    # 2026-03-08: Toronto moves from UTC-5 to UTC-4 at 02:00
    day, deadline = scan_deadline.deadline_of(local(12, day=8), SETTINGS)
    assert (day.utcoffset().total_seconds(), deadline.utcoffset().total_seconds()) == (
        -5 * 3600,
        -4 * 3600,
    )
