"""Self-review and one lead doing it all, as attacks on the review app.

A reviewer or lead never claims, opens, decides or sees decisions on a flag about their own
posts, whether the account is linked to the person or only shares the person's email. The lead
who escalated a flag neither closes that escalation, nor reopens it, nor reveals its author: a
second lead does. Reveals state a reason, which the audit log shows.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from pipeline import review
from pipeline.db.models import AuditEvent, Flag, Review

ESCALATE = {"decision": "escalate", "clause": "partisan", "rationale": "Senior, large audience"}
CLOSE = {"decision": "refer", "clause": "partisan", "rationale": "Refer to values and ethics"}
WHY = "Referral to values and ethics needs the name"


def _events(db, action: str) -> list[AuditEvent]:
    return db.scalars(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    ).all()


def _reviews(db, flag_id: int) -> list[tuple[str, int]]:
    return db.execute(
        select(Review.decision, Review.reviewer_id)
        .where(Review.flag_id == flag_id)
        .order_by(Review.id)
    ).all()


def _signed_in(browser, user):
    client = browser()
    assert client.login(user.email).status_code == 303
    return client


@pytest.mark.parametrize("link", ["person", "email"])
def test_a_reviewer_cannot_claim_open_or_decide_a_flag_on_their_own_post(
    link, db, make, browser
) -> None:
    me = make.person("Rae Viewer")
    own = make.flag(make.post(make.account(me), "my own post"), risk=0.99)
    theirs = make.flag(risk=0.2)
    # "email": a user made before users had to be linked, signing in with the person's email
    reviewer = make.user(
        "reviewer",
        person=me if link == "person" else None,
        email=None if link == "person" else me.email,
    )
    db.commit()
    client = _signed_in(browser, reviewer)
    assert client.api("/api/queue/claim").json() == {"flag_id": theirs.id}
    assert client.client.get(f"/flags/{own.id}").status_code == 404
    assert client.client.get(f"/api/flags/{own.id}").status_code == 404
    # a lease on the flag taken before the link existed does not let the decision through
    db.execute(
        Flag.__table__.update()
        .where(Flag.id == own.id)
        .values(claimed_by_id=reviewer.id, lease_expires_at=datetime.now(UTC) + timedelta(hours=1))
    )
    db.commit()
    decided = client.api(
        f"/api/flags/{own.id}/decide",
        {"decision": "no_concern", "clause": "none", "rationale": "Nothing to see"},
    )
    assert decided.status_code == 404
    assert client.form(f"/flags/{own.id}/release").status_code == 404
    assert _reviews(db, own.id) == []
    db.expire_all()
    assert db.get(Flag, own.id).closed_at is None
    reasons = [e.details["reason"] for e in _events(db, "access.not_found")]
    assert len(reasons) == 4 and all("own post" in r for r in reasons)


def test_similar_decided_flags_never_show_decisions_on_the_viewers_own_posts(
    db, make, browser
) -> None:
    me = make.person("Rae Viewer")
    for text, vector in {"own": [1.0, 0.0], "stranger": [0.99, 0.1], "new": [1.0, 0.01]}.items():
        make.embedding(text, vector)
    own = make.flag(make.post(make.account(me), "own"), risk=0.9)
    stranger = make.flag(text="stranger", risk=0.8)
    new = make.flag(text="new", risk=0.1)
    other, reviewer = make.user("reviewer"), make.user("reviewer", person=me)
    lead = make.user("lead")
    review.enqueue(db)
    db.commit()
    for flag in (own, stranger):
        assert review.claim_next(db, other).id == flag.id
        review.decide(db, flag.id, other, decision="advise", clause="partisan", rationale="r")
    db.commit()
    # both decided flags are near the new one: a viewer without a stake sees both
    lead_view = _signed_in(browser, lead).client.get(f"/api/flags/{new.id}").json()
    assert [s["flag_id"] for s in lead_view["similar"]] == [own.id, stranger.id]
    client = _signed_in(browser, reviewer)
    assert client.api("/api/queue/claim").json() == {"flag_id": new.id}
    view = client.client.get(f"/api/flags/{new.id}").json()
    assert [s["flag_id"] for s in view["similar"]] == [stranger.id]
    page = client.client.get(f"/flags/{new.id}").text
    assert f"<td>{stranger.id}</td>" in page and f"<td>{own.id}</td>" not in page


def _escalated(db, make, browser, lead):
    """A flag the lead claimed and escalated through the API, like any reviewer."""
    author = make.person("Secret Name")
    flag = make.flag(make.post(make.account(author), "Vote Purple"))
    db.commit()
    client = _signed_in(browser, lead)
    assert client.api("/api/queue/claim").json() == {"flag_id": flag.id}
    assert client.api(f"/api/flags/{flag.id}/decide", ESCALATE).status_code == 200
    return flag, client


def test_the_lead_who_escalated_cannot_close_reopen_or_reveal_but_a_second_lead_can(
    db, make, browser
) -> None:
    first, second = make.user("lead"), make.user("lead")
    flag, client = _escalated(db, make, browser, first)
    attempts = {
        "close": client.api(f"/api/flags/{flag.id}/close", CLOSE),
        "reveal": client.api(f"/api/flags/{flag.id}/reveal", {"reason": WHY}),
        "reopen": client.api(f"/api/flags/{flag.id}/reopen", {"rationale": "again"}),
        "close page": client.form(f"/flags/{flag.id}/close", **CLOSE),
        "reveal page": client.form(f"/flags/{flag.id}/reveal", reason=WHY),
    }
    assert {name: r.status_code for name, r in attempts.items()} == dict.fromkeys(attempts, 403)
    assert "second lead" in attempts["close"].json()["detail"]
    assert "Secret Name" not in attempts["reveal page"].text
    page = client.client.get(f"/flags/{flag.id}").text
    assert 'id="second-lead"' in page and f"/flags/{flag.id}/reveal" not in page
    denied = _events(db, "access.denied")
    assert len(denied) == 5 and all("separation of duties" in e.details["reason"] for e in denied)
    assert _events(db, "identity.reveal") == []
    assert [d for d, _ in _reviews(db, flag.id)] == ["escalate"]

    other = _signed_in(browser, second)
    revealed = other.api(f"/api/flags/{flag.id}/reveal", {"reason": WHY})
    assert revealed.status_code == 200 and revealed.json()["name"] == "Secret Name"
    assert other.api(f"/api/flags/{flag.id}/close", CLOSE).status_code == 200
    assert _reviews(db, flag.id) == [("escalate", first.id), ("refer", second.id)]


def test_reopening_never_hands_the_lead_who_escalated_the_close(db, make, browser) -> None:
    first, second, reviewer = make.user("lead"), make.user("lead"), make.user("reviewer")
    flag, client = _escalated(db, make, browser, first)
    other = _signed_in(browser, second)
    assert other.api(f"/api/flags/{flag.id}/close", CLOSE).status_code == 200
    # the first lead sends the closed flag back; this time a reviewer escalates it
    assert client.api(f"/api/flags/{flag.id}/reopen", {"rationale": "new facts"}).status_code == 200
    assert review.claim_next(db, reviewer).id == flag.id
    review.decide(db, flag.id, reviewer, **ESCALATE)
    db.commit()
    # the latest escalation is the reviewer's; the history still holds the first lead's
    assert client.api(f"/api/flags/{flag.id}/close", CLOSE).status_code == 403
    assert client.api(f"/api/flags/{flag.id}/reveal", {"reason": WHY}).status_code == 403
    assert client.api(f"/api/flags/{flag.id}/reopen", {"rationale": "x"}).status_code == 403
    assert [d for d, _ in _reviews(db, flag.id)] == ["escalate", "refer", "reopen", "escalate"]
    assert other.api(f"/api/flags/{flag.id}/close", CLOSE).status_code == 200


def test_a_reveal_needs_a_stated_reason_and_the_audit_shows_it(db, make, browser) -> None:
    first, second, auditor = make.user("lead"), make.user("lead"), make.user("auditor")
    flag, _ = _escalated(db, make, browser, first)
    client = _signed_in(browser, second)
    blank = client.form(f"/flags/{flag.id}/reveal", reason="   ")
    missing = client.form(f"/flags/{flag.id}/reveal")
    api_blank = client.api(f"/api/flags/{flag.id}/reveal", {"reason": " \n "})
    api_missing = client.api(f"/api/flags/{flag.id}/reveal", {})
    too_long = client.api(f"/api/flags/{flag.id}/reveal", {"reason": "x" * 1001})
    assert [r.status_code for r in (blank, missing, api_blank)] == [400, 400, 400]
    assert [r.status_code for r in (api_missing, too_long)] == [422, 422]
    assert "needs a reason" in blank.text and "Secret Name" not in blank.text
    assert _events(db, "identity.reveal") == []

    page = client.form(f"/flags/{flag.id}/reveal", reason=WHY)
    assert page.status_code == 200 and "Secret Name" in page.text and WHY in page.text
    [reveal] = _events(db, "identity.reveal")
    assert (reveal.actor_user_id, reveal.details["reason"]) == (second.id, WHY)
    audit = _signed_in(browser, auditor).client.get("/audit?action=identity.reveal")
    assert WHY in audit.text
