"""Reading the audit trail is itself audited, by one function whichever entry point asks."""

from __future__ import annotations

import csv
import io

import sqlalchemy as sa
from sqlalchemy.orm import Session

from pipeline.audit.search import search, search_audited, to_csv
from pipeline.audit.trail import record
from pipeline.db.models import AuditEvent


def actions(db: Session) -> list[tuple[str, str, dict]]:
    rows = db.execute(sa.select(AuditEvent).order_by(AuditEvent.id)).scalars()
    return [(e.action, e.actor, e.details) for e in rows]


def test_an_audited_search_records_who_searched_and_how_many_events_came_back(db: Session) -> None:
    record(db, "auth.login", actor="user:ana@example.org")
    record(db, "auth.logout", actor="user:ana@example.org")
    record(db, "flag.view", actor="user:bo@example.org")

    events = search_audited(db, {"action": "auth."}, reader="user:audit@example.org")
    db.commit()

    assert [e["action"] for e in events] == ["auth.logout", "auth.login"]
    assert actions(db)[-1] == ("audit.search", "user:audit@example.org", {"results": 2})


def test_an_audited_export_is_recorded_as_an_export_with_its_row_count(db: Session) -> None:
    record(db, "auth.login", actor="user:ana@example.org")

    events = search_audited(db, {}, reader="cli:auditor", export=True, limit=10_000)
    db.commit()

    assert len(events) == 1
    assert actions(db)[-1] == ("audit.export", "cli:auditor", {"rows": 1})


def test_a_plain_search_writes_nothing(db: Session) -> None:
    record(db, "auth.login", actor="user:ana@example.org")
    db.commit()

    search(db, action="auth")

    assert [a for a, _, _ in actions(db)] == ["auth.login"]


def test_csv_cells_a_spreadsheet_would_run_stay_text(db: Session) -> None:
    record(db, "auth.login", actor='=HYPERLINK("http://x")')
    db.commit()

    rows = list(csv.DictReader(io.StringIO(to_csv(search(db)))))

    assert rows[0]["actor"].startswith("'=HYPERLINK")
