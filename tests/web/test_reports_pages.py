"""The Reports pages and API: the list, a report's table and SVG chart, the CSV, the audit."""

from __future__ import annotations

import csv
import io
import re

from markupsafe import escape
from sqlalchemy import select

from pipeline.db.models import AuditEvent
from pipeline.reports import runner
from pipeline.web import report_texts
from tests.factories import T0

PERIOD = "from=2026-11-01&to=2026-11-07"
HOSTILE_UNIT = '<img src=x onerror="alert(1)">'


def org_unit_flags(make, db) -> None:
    """Six flags in one cell (shown), two in another (suppressed as "<5"), one hostile name."""
    for _ in range(6):
        make.flag(account=make.account(make.person(org_unit="Policy Branch")), created_at=T0)
    for _ in range(2):
        make.flag(account=make.account(make.person(org_unit="Comms")), created_at=T0)
    make.flag(account=make.account(make.person(org_unit=HOSTILE_UNIT)), created_at=T0)
    db.commit()


def signed_in(browser, make, db, role: str = "auditor"):
    user = make.user(role)
    db.commit()
    client = browser()
    assert client.login(user.email).status_code == 303
    return client, user


def events(db, action: str) -> list[AuditEvent]:
    return list(
        db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))
    )


def test_index_lists_every_report_with_its_description(browser, make, db) -> None:
    client, _ = signed_in(browser, make, db, "lead")
    page = client.client.get("/reports")
    assert page.status_code == 200
    assert '<gcds-nav-link href="/reports" current>Reports</gcds-nav-link>' in page.text
    for info in runner.list_reports():
        assert f'href="/reports/{info.name}"' in page.text
        assert str(escape(report_texts.text(info.description))) in page.text


def test_nav_link_only_for_roles_that_may_read_reports(browser, make, db) -> None:
    for role, shown in (("admin", True), ("reviewer", False), ("employee", False)):
        client, _ = signed_in(browser, make, db, role)
        home = client.client.get("/selfcheck")
        assert ('href="/reports"' in home.text) is shown, role


def test_report_page_draws_an_svg_chart_and_suppresses_small_cells(browser, make, db) -> None:
    org_unit_flags(make, db)
    client, user = signed_in(browser, make, db)
    page = client.client.get(f"/reports/flags_by_org_unit?{PERIOD}")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    svg = re.search(r"<svg id=\"chart\".*?</svg>", page.text, re.S).group(0)
    assert 'data-kind="stacked-bar"' in svg and "<script" not in svg
    # the six flags are a bar; the cell of two is a "<5" marker, not a number drawn
    assert "<title>Policy Branch · Staff: 6</title>" in svg  # in words: staff is "Staff"
    assert "<title>Comms · Staff: suppressed" in svg
    assert "Comms · Staff: 2" not in page.text and "Comms · Staff: 5" not in svg
    assert len(re.findall(r'<rect [^>]*class="bar', svg)) == 1
    assert "&lt;5 marks 2 values withheld" in page.text  # Comms and the hostile unit
    # hostile names stay text, in the chart and in the table
    assert HOSTILE_UNIT not in page.text
    assert "&lt;img src=x onerror=" in svg
    assert 'href="/reports/flags_by_org_unit.csv?from=2026-11-01&amp;to=2026-11-07"' in page.text
    [event] = events(db, "report.view")
    assert (event.subject_type, event.subject_id, event.actor_user_id) == (
        "report",
        "flags_by_org_unit",
        user.id,
    )
    assert event.details == {
        "date_from": "2026-11-01T00:00:00+00:00",
        "date_to": "2026-11-08T00:00:00+00:00",  # the "to" day is included whole
        "rows": 3,
    }


def test_line_chart_report_and_an_empty_period(browser, make, db) -> None:
    for _ in range(5):  # five people: a cell shown, so a point drawn
        make.flag(account=make.account(make.person()), created_at=T0)
    db.commit()
    client, _ = signed_in(browser, make, db, "admin")
    page = client.client.get(f"/reports/flags_by_category_week?{PERIOD}")
    assert 'data-kind="line"' in page.text and 'class="dot s0"' in page.text
    empty = client.client.get("/reports/flags_by_category_week?from=2025-01-01&to=2025-01-02")
    assert empty.status_code == 200
    assert "No rows in this period." in empty.text and "<svg" not in empty.text


def test_csv_download_is_the_report_and_is_audited(browser, make, db) -> None:
    org_unit_flags(make, db)
    client, user = signed_in(browser, make, db)
    response = client.client.get(f"/reports/flags_by_org_unit.csv?{PERIOD}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    # named for the days it covers, the "to" day included
    assert "flags_by_org_unit_2026-11-01_2026-11-07.csv" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["org_unit", "seniority_band", "flags", "open", "accounts"]
    assert ["Comms", "staff", "<5", "<5", "<5"] in rows
    assert ["Policy Branch", "staff", "6", "6", "6"] in rows
    [event] = events(db, "report.export")
    assert (event.subject_id, event.actor_user_id) == ("flags_by_org_unit", user.id)
    assert event.details["rows"] == 3
    assert "Comms" not in str(event.details) and events(db, "report.view") == []


def test_unknown_report_and_bad_periods(browser, make, db) -> None:
    client, _ = signed_in(browser, make, db)
    assert client.client.get("/reports/nope").status_code == 404
    assert client.client.get("/reports/nope.csv").status_code == 404
    assert client.client.get("/api/reports/nope").json() == {"detail": "no report 'nope'"}
    assert client.client.get("/reports/scan_runs?from=yesterday").status_code == 400
    backwards = client.client.get("/api/reports/scan_runs?from=2026-11-07&to=2026-11-01")
    assert backwards.status_code == 400 and "period is empty" in backwards.json()["detail"]
    assert events(db, "report.view") == []


def test_api_lists_and_runs_reports(browser, make, db) -> None:
    org_unit_flags(make, db)
    client, user = signed_in(browser, make, db, "lead")
    listed = client.client.get("/api/reports").json()
    assert [r["name"] for r in listed] == [r.name for r in runner.list_reports()]
    assert all(r["description"] for r in listed)
    data = client.client.get(f"/api/reports/flags_by_org_unit?{PERIOD}").json()
    assert data["columns"][:3] == ["org_unit", "seniority_band", "flags"]
    assert data["chart"]["kind"] == "stacked-bar"
    assert [s["name"] for s in data["chart"]["series"]] == ["staff"]
    staff = data["chart"]["series"][0]["values"]
    cells = dict(zip(data["chart"]["labels"], staff, strict=True))
    assert cells == {"Comms": "<5", HOSTILE_UNIT: "<5", "Policy Branch": 6}
    assert (data["first_day"], data["last_day"]) == ("2026-11-01", "2026-11-07")
    [event] = events(db, "report.view")
    assert event.actor_user_id == user.id and event.details["rows"] == 3
    assert "/api/reports/{name}" in client.client.get("/api/openapi.json").json()["paths"]


def test_every_report_opens_and_downloads_on_an_empty_database(browser, make, db) -> None:
    client, _ = signed_in(browser, make, db)
    for info in runner.list_reports():
        page = client.client.get(f"/reports/{info.name}?{PERIOD}")
        assert page.status_code == 200, info.name
        download = client.client.get(f"/reports/{info.name}.csv?{PERIOD}")
        assert download.status_code == 200 and download.text.splitlines()[0], info.name
    assert len(events(db, "report.view")) == len(events(db, "report.export")) > 0
