"""CSRF, cookies, login limits and lockout, escaping, and the audit trail of the web app."""

from __future__ import annotations

from sqlalchemy import select

from pipeline import review
from pipeline.db.models import AuditEvent, Flag
from pipeline.web import create_app
from tests.factories import PASSWORD
from tests.web.conftest import Browser, web_settings


def _actions(db) -> list[str]:
    db.expire_all()
    return list(db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_state_changing_requests_without_a_valid_csrf_token_are_rejected(db, make, browser) -> None:
    flag = make.flag()
    reviewer = make.user("reviewer")
    db.commit()
    client = browser()
    client.login(reviewer.email)
    attempts = [
        client.client.post("/queue/claim"),
        client.client.post("/queue/claim", data={"csrf_token": "forged"}),
        client.client.post("/api/queue/claim"),
        client.client.post("/api/queue/claim", headers={"X-CSRF-Token": "forged"}),
        client.client.post("/logout"),
    ]
    assert [r.status_code for r in attempts] == [403] * 5
    assert all("CSRF" in r.text for r in attempts)
    db.expire_all()
    assert db.get(Flag, flag.id).claimed_by_id is None
    assert client.api("/api/queue/claim").json() == {"flag_id": flag.id}


def test_login_itself_needs_the_csrf_token_of_the_login_page(db, make, browser) -> None:
    user = make.user("reviewer")
    db.commit()
    client = browser()
    response = client.client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 403
    assert client.login(user.email).status_code == 303


def test_session_cookie_is_httponly_samesite_strict_and_secure_when_asked(engine, make, db):
    user = make.user("reviewer")
    db.commit()
    for https_only, secure in ((False, False), (True, True)):
        app = create_app(web_settings(cookie_https_only=https_only))
        client = Browser(app)
        cookie = client.client.get("/login").headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        assert ("secure" in cookie) is secure
    assert user.id


def test_login_attempts_are_rate_limited_per_client(engine, db, make) -> None:
    user = make.user("reviewer")
    db.commit()
    client = Browser(create_app(web_settings(login_ip_limit="3/300")))
    statuses = [client.login(user.email, "wrong password!").status_code for _ in range(3)]
    assert statuses == [401, 401, 401]
    assert client.login(user.email).status_code == 429
    assert _actions(db) == ["auth.login_failed"] * 3 + ["auth.login_throttled"]


def test_repeated_failures_lock_the_account_and_every_attempt_is_audited(db, make, browser):
    user = make.user("reviewer")
    db.commit()
    client = browser()
    for _ in range(5):
        assert client.login(user.email, "not the password").status_code == 401
    assert client.login(user.email).status_code == 401  # locked, even with the password
    other = browser()
    assert other.login("nobody@example.org").status_code == 401
    events = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "auth.login_failed").order_by(AuditEvent.id)
    )
    reasons = [e.details["reason"] for e in events]
    assert reasons == ["bad_password"] * 5 + ["locked", "unknown_user"]


def test_login_logout_views_claims_and_decisions_are_audited(db, make, browser) -> None:
    flag = make.flag()
    reviewer = make.user("reviewer")
    db.commit()
    client = browser()
    client.login(reviewer.email)
    claimed = client.form("/queue/claim")
    assert claimed.headers["location"] == f"/flags/{flag.id}"
    assert client.client.get(f"/flags/{flag.id}").status_code == 200
    decided = client.form(
        f"/flags/{flag.id}/decide", decision="advise", clause="partisan", rationale="Names a party"
    )
    assert decided.status_code == 303
    client.form("/logout")
    assert _actions(db) == ["auth.login", "flag.claim", "flag.view", "flag.decide", "auth.logout"]


def test_hostile_post_text_is_escaped_in_the_page(db, make, browser) -> None:
    payload = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    flag = make.flag(text=payload)
    reviewer = make.user("reviewer")
    db.commit()
    review.claim_next(db, reviewer)
    db.commit()
    client = browser()
    client.login(reviewer.email)
    page = client.client.get(f"/flags/{flag.id}")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "<script>alert" not in page.text and "<img src=x" not in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_auditor_search_and_export_are_audited(db, make, browser) -> None:
    auditor = make.user("auditor")
    db.commit()
    client = browser()
    client.login(auditor.email)
    assert "auth.login" in client.client.get("/audit?action=auth").text
    export = client.client.get("/audit/export?action=auth")
    assert export.headers["content-type"].startswith("text/csv")
    assert "auth.login" in export.text
    assert _actions(db)[-2:] == ["audit.search", "audit.export"]


def test_employees_see_their_flags_and_their_contest_reaches_the_lead(db, make, browser):
    me = make.person("Em Ployee")
    flag = make.flag(make.post(make.account(me), "my post"))
    employee, reviewer, lead = (
        make.user("employee", person=me),
        make.user("reviewer"),
        make.user("lead"),
    )
    db.commit()
    review.claim_next(db, reviewer)
    review.decide(
        db, flag.id, reviewer, decision="escalate", clause="partisan", rationale="Needs a lead"
    )
    db.commit()
    client = browser()
    client.login(employee.email)
    mine = client.client.get("/api/me/flags").json()
    assert [(f["flag_id"], f["status"]) for f in mine] == [(flag.id, "escalated")]
    assert (
        client.api(
            f"/api/me/flags/{flag.id}/respond",
            {"kind": "contest", "body": "Context: it was satire"},
        ).status_code
        == 200
    )
    other = make.flag()
    db.commit()
    assert (
        client.api(
            f"/api/me/flags/{other.id}/respond", {"kind": "comment", "body": "x"}
        ).status_code
        == 404
    )
    lead_client = browser()
    lead_client.login(lead.email)
    assert "it was satire" in lead_client.client.get("/escalations").text
    assert lead_client.client.get(f"/api/flags/{flag.id}").json()["responses"][0]["kind"] == (
        "contest"
    )


def test_refused_requests_of_signed_in_users_are_audited(db, make, browser) -> None:
    me = make.person("Rae Viewer")
    own = make.flag(make.post(make.account(me), "my own post"))
    reviewer = make.user("reviewer", person=me)
    db.commit()
    client = browser()
    client.login(reviewer.email)
    assert client.client.get(f"/api/flags/{own.id}").status_code == 404  # own post
    assert client.client.get("/audit").status_code == 403  # wrong role
    refused = db.scalars(
        select(AuditEvent).where(AuditEvent.action.like("access.%")).order_by(AuditEvent.id)
    ).all()
    assert [(e.action, e.actor_user_id, e.details["path"]) for e in refused] == [
        ("access.not_found", reviewer.id, f"/api/flags/{own.id}"),
        ("access.denied", reviewer.id, "/audit"),
    ]
    assert "own post" in refused[0].details["reason"]
