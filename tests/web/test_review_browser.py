"""The review app in real headless Chromium: sign in, claim, decide; hostile posts stay text."""

from __future__ import annotations

from sqlalchemy import select

from pipeline.db.models import AuditEvent, Review
from tests.factories import PASSWORD

HOSTILE = (
    '<script>window.pwned = "script"; alert(1)</script>'
    "<img src=x onerror=\"window.pwned = 'onerror'; alert(2)\">"
    '"><svg onload="window.pwned=\'svg\'">'
)


def sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/queue")


def test_reviewer_signs_in_claims_and_decides_with_the_keyboard(live_server, page, db, make):
    flag = make.flag(text="Everyone should vote for the Purple Party", risk=0.9)
    reviewer = make.user("reviewer")
    db.commit()
    sign_in(page, live_server, reviewer.email)
    assert "1 queued" in page.text_content("main")
    page.keyboard.press("n")  # claim next
    page.wait_for_url(f"{live_server}/flags/{flag.id}")
    assert page.text_content("#post-text") == "Everyone should vote for the Purple Party"
    page.keyboard.press("2")  # advise
    page.keyboard.press("r")
    page.keyboard.type("Endorses a party in public")
    page.keyboard.press("Control+Enter")
    page.wait_for_url(f"{live_server}/queue")
    review = db.scalar(select(Review))
    assert (review.flag_id, review.decision, review.clause, review.rationale) == (
        flag.id,
        "advise",
        "partisan",
        "Endorses a party in public",
    )
    actions = db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["auth.login", "flag.claim", "flag.view", "flag.decide"]


def test_hostile_post_renders_as_text_and_runs_nothing(live_server, page, db, make) -> None:
    flag = make.flag(text=HOSTILE, risk=0.9)
    reviewer = make.user("reviewer")
    db.commit()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    sign_in(page, live_server, reviewer.email)
    page.click("#claim-next")
    page.wait_for_url(f"{live_server}/flags/{flag.id}")
    page.wait_for_load_state("load")
    assert page.text_content("#post-text") == HOSTILE
    assert page.evaluate("window.pwned === undefined")
    assert page.locator("#post-text img, #post-text script, #post-text svg").count() == 0
    assert dialogs == []
