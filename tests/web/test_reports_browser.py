"""Reports in real headless Chromium: an auditor opens a report and sees its SVG chart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from pipeline.db.models import AuditEvent
from tests.factories import PASSWORD


def test_auditor_opens_a_report_with_its_chart(live_server, page, db, make, tmp_path) -> None:
    yesterday = datetime.now(UTC) - timedelta(days=1)
    for _ in range(6):
        make.flag(account=make.account(make.person(org_unit="Policy Branch")), created_at=yesterday)
    make.flag(account=make.account(make.person(org_unit="Comms")), created_at=yesterday)
    # a second small cell, so that no total can give away the first (complementary suppression)
    for _ in range(2):
        make.flag(account=make.account(make.person(org_unit="Finance")), created_at=yesterday)
    auditor = make.user("auditor")
    db.commit()
    refused: list[str] = []  # what the content security policy blocked
    page.on("console", lambda m: refused.append(m.text) if "Refused" in m.text else None)
    failed: list[str] = []  # pages and assets that did not load (the favicon aside)
    page.on(
        "response",
        lambda r: failed.append(r.url) if r.status >= 400 and "favicon" not in r.url else None,
    )

    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", auditor.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/audit")
    page.click("gcds-top-nav >> text=Reports")
    page.wait_for_url(f"{live_server}/reports")
    assert page.locator("#reports tbody tr").count() >= 10
    page.click("#reports >> text=Flags by org unit and seniority band")
    page.wait_for_url(f"{live_server}/reports/flags_by_org_unit")

    chart = page.locator("svg#chart")
    assert chart.count() == 1 and chart.is_visible()
    assert chart.get_attribute("data-kind") == "stacked-bar"
    bars = chart.locator("rect.bar")
    assert bars.count() == 1  # Policy Branch (6); Comms (1) and Finance (2) are suppressed
    assert bars.first.locator("title").text_content() == "Policy Branch · Staff: 6"
    markers = chart.locator("text.suppressed")
    assert markers.count() == 2 and markers.first.text_content().endswith("<5")
    titles = sorted(m.locator("title").text_content() for m in markers.all())
    assert titles[0].startswith("Comms · Staff: suppressed")
    assert titles[1].startswith("Finance · Staff: suppressed")
    box = bars.first.bounding_box()
    assert box is not None and box["height"] > 50
    # coloured by the stylesheet (inline styles would be refused by the CSP)
    fill = bars.first.evaluate("el => getComputedStyle(el).fill")
    assert fill == "rgb(13, 54, 113)"
    assert page.locator("#report-table tbody tr").count() == 3
    assert "Download as CSV" in page.text_content("#csv")
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    assert refused == [] and failed == []

    # the period's days, in the design system's year, month and day fields
    for name, day in (("from", ("2020", "01", "01")), ("to", ("2020", "01", "31"))):
        fields = page.locator(f"gcds-date-input[name={name}]")
        for part, value in zip(("year", "month", "day"), day, strict=True):
            fields.locator(f"input[name={part}]").fill(value)
    page.click("#show")
    page.wait_for_url(f"{live_server}/reports/flags_by_org_unit?from=2020-01-01&to=2020-01-31")
    assert page.locator("svg#chart").count() == 0
    assert "No rows in this period." in page.text_content("#report-table")

    views = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "report.view").order_by(AuditEvent.id)
    ).all()
    assert [(e.subject_id, e.actor_user_id) for e in views] == [
        ("flags_by_org_unit", auditor.id),
        ("flags_by_org_unit", auditor.id),
    ]
    assert views[1].details["date_from"].startswith("2020-01-01")
