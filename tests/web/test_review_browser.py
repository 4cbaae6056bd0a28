"""The review app in real headless Chromium: sign in, decide item after item with the keyboard;
hostile posts stay text."""

from __future__ import annotations

from sqlalchemy import select

from pipeline.db.models import AuditEvent, Flag, Review
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


def test_reviewer_decides_several_posts_with_the_keyboard_only(live_server, page, db, make):
    two = make.post(make.account(make.person()), "Vote Purple, you useless idiots")
    first = [make.flag(two, category="partisan", risk=0.9), make.flag(two, category="vulgar")]
    second = make.flag(text="Everyone should vote for the Purple Party", risk=0.8)
    third = make.flag(text="Our new office opens on Monday", risk=0.4)
    reviewer = make.user("reviewer")
    db.commit()
    sign_in(page, live_server, reviewer.email)
    assert "Posts waiting: 3" in page.text_content("main")
    visited = []

    page.keyboard.press("n")  # claim the next item
    page.wait_for_url(f"{live_server}/flags/{first[0].id}")
    visited.append(page.text_content("#post-text"))
    assert page.text_content("#categories") == (
        "Partisan political activity, Vulgar or offensive language"
    )
    page.keyboard.press("1")  # no concern: no rationale needed
    page.keyboard.press("Control+Enter")

    page.wait_for_url(f"{live_server}/flags/{second.id}")
    assert "Decision recorded — next item" in page.text_content("#notice")
    visited.append(page.text_content("#post-text"))
    page.keyboard.press("2")  # advise
    page.keyboard.press("r")
    page.keyboard.type("Endorses a party in public")
    page.keyboard.press("Control+Enter")

    page.wait_for_url(f"{live_server}/flags/{third.id}")
    assert "Decision recorded — next item" in page.text_content("#notice")
    visited.append(page.text_content("#post-text"))
    page.keyboard.press("1")
    page.keyboard.press("Control+Enter")

    page.wait_for_url(f"{live_server}/queue")
    assert "Decision recorded — the queue is empty" in page.text_content("#notice")
    assert visited == [
        "Vote Purple, you useless idiots",
        "Everyone should vote for the Purple Party",
        "Our new office opens on Monday",
    ]
    reviews = db.execute(select(Review.flag_id, Review.decision, Review.rationale)).all()
    assert sorted(reviews) == [
        (first[0].id, "no_concern", ""),
        (first[1].id, "no_concern", ""),
        (second.id, "advise", "Endorses a party in public"),
        (third.id, "no_concern", ""),
    ]
    actions = db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions.count("flag.view") == 3  # each post read once
    assert actions.count("flag.decide") == 3


def test_shortcuts_ask_before_releasing_and_can_be_turned_off(live_server, page, db, make):
    flag = make.flag(text="Vote Purple", risk=0.9)
    make.flag(text="Another post", risk=0.5)
    reviewer = make.user("reviewer")
    db.commit()
    sign_in(page, live_server, reviewer.email)
    page.keyboard.press("n")
    page.wait_for_url(f"{live_server}/flags/{flag.id}")
    page.keyboard.press("u")  # asks first: the confirmation takes the focus
    assert page.evaluate("document.activeElement.id") == "release-confirm"
    page.keyboard.press("Escape")  # changed my mind
    assert page.evaluate("document.getElementById('release').open") is False

    page.goto(f"{live_server}/queue")
    page.keyboard.press("n")  # n opens the held item: no second claim
    page.wait_for_url(f"{live_server}/flags/{flag.id}")
    claims = db.scalars(select(AuditEvent).where(AuditEvent.action == "flag.claim")).all()
    assert len(claims) == 1

    page.click("#shortcuts summary")
    page.uncheck("#shortcuts-on")  # remembered in this browser
    page.reload()
    assert page.is_checked("#shortcuts-on") is False
    page.keyboard.press("2")
    page.keyboard.press("u")
    assert page.evaluate("document.querySelector('input[value=advise]').checked") is False
    assert page.evaluate("document.getElementById('release').open") is False
    db.expire_all()
    assert db.get(Flag, flag.id).claimed_by_id == reviewer.id


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
