"""The auditor's and the lead's pages in real headless Chromium: the audit form sent as a browser
sends it, and a lead's close that waits for its confirmation box."""

from __future__ import annotations

from sqlalchemy import select

from pipeline import review
from pipeline.db.models import Review
from tests.factories import PASSWORD


def sign_in(page, base: str, email: str, lands_on: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("#sign-in")
    page.wait_for_url(f"{base}{lands_on}")


def test_the_audit_form_sent_as_it_is_answers_a_page_of_events(live_server, page, db, make):
    auditor = make.user("auditor")
    db.commit()
    sign_in(page, live_server, auditor.email, "/audit")

    page.select_option("select[name=action]", "auth.login")
    page.click("#audit-search button[type=submit]")
    page.wait_for_url(f"{live_server}/audit?action=auth.login*")

    assert page.text_content("#audit-count").strip().startswith("Events 1 to 1 of 1")
    assert auditor.email in page.text_content("#events")


def test_a_lead_closes_an_escalation_only_once_it_is_confirmed(live_server, page, db, make):
    flag = make.flag(text="Vote for the Purple Party")
    reviewer, lead = make.user("reviewer"), make.user("lead")
    db.commit()
    review.claim_next(db, reviewer)
    review.decide(db, flag.id, reviewer, decision="escalate", clause="partisan", rationale="?")
    db.commit()
    sign_in(page, live_server, lead.email, "/queue")
    page.goto(f"{live_server}/escalations")

    page.click(f"#lead-actions-{flag.id} summary")
    close = page.locator(f"form[action='/flags/{flag.id}/close']")
    close.locator("textarea[name=rationale]").fill("Refer to the manager")
    close.locator("button[type=submit]").click()
    unconfirmed = close.locator("input[name=confirm]").evaluate("box => box.validity.valueMissing")

    assert unconfirmed is True and page.url == f"{live_server}/escalations"
    close.locator("input[name=confirm]").check()
    close.locator("button[type=submit]").click()
    page.wait_for_function(
        f"() => !document.querySelector('#escalation-{flag.id}')", timeout=15_000
    )
    decisions = [r.decision for r in db.scalars(select(Review).order_by(Review.id))]
    assert decisions == ["escalate", "advise"]
