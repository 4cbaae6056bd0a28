"""Probing the review app for which flags exist, and for traces of the probe.

A flag that does not exist and a flag the user may not know about (another reviewer's, one
about their own posts, another employee's) get the same status and the same body, on the pages
and on the API; every such answer, every conflict (409) and every look at the escalation list
leaves an audit event.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import select

from pipeline import review
from pipeline.db.models import AuditEvent

MISSING = 999_999
# each answer carries a fresh CSP nonce (random, so it tells nothing) and a language toggle back
# to the address asked (which the prober wrote): the rest must be equal
NONCE = re.compile(r'(name="csp-nonce" content=|nonce=)"[^"]*"')
TOGGLE = re.compile(r"(/lang/[a-z]{2}\?next=)[^\"]*")


def _page(text: str) -> str:
    return TOGGLE.sub(r"\1…", NONCE.sub(r'\1"…"', text))


DECIDE = {"decision": "advise", "clause": "partisan", "rationale": "Names a party"}


def _events(db, action: str) -> list[AuditEvent]:
    return db.scalars(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    ).all()


def _signed_in(browser, user):
    client = browser()
    assert client.login(user.email).status_code == 303
    return client


def _probes(client, flag_id: int) -> dict[str, object]:
    return {
        "page": client.client.get(f"/flags/{flag_id}"),
        "api": client.client.get(f"/api/flags/{flag_id}"),
        "decide page": client.form(f"/flags/{flag_id}/decide", **DECIDE),
        "decide api": client.api(f"/api/flags/{flag_id}/decide", DECIDE),
        "release page": client.form(f"/flags/{flag_id}/release"),
        "release api": client.api(f"/api/flags/{flag_id}/release"),
    }


def _same_answers(client, flag_id: int) -> list[str]:
    """The probes that told the existing flag from a missing one (none, when all is well)."""
    known, unknown = _probes(client, flag_id), _probes(client, MISSING)
    assert {r.status_code for r in [*known.values(), *unknown.values()]} == {404}
    return [name for name in known if _page(known[name].text) != _page(unknown[name].text)]


def test_another_reviewers_flag_looks_exactly_like_a_missing_one(db, make, browser) -> None:
    holder, prober = make.user("reviewer"), make.user("reviewer")
    flag = make.flag()
    db.commit()
    assert review.claim_next(db, holder).id == flag.id
    db.commit()
    client = _signed_in(browser, prober)
    assert _same_answers(client, flag.id) == []
    events = _events(db, "access.not_found")
    assert {
        (e.actor_user_id, e.details["path"].replace(str(MISSING), str(flag.id))) for e in events
    } == {
        (prober.id, path)
        for path in (
            f"/flags/{flag.id}",
            f"/api/flags/{flag.id}",
            f"/flags/{flag.id}/decide",
            f"/api/flags/{flag.id}/decide",
            f"/flags/{flag.id}/release",
            f"/api/flags/{flag.id}/release",
        )
    }
    assert len(events) == 12
    reasons = {e.details["reason"] for e in events}
    assert f"no flag {MISSING}" in reasons and any("neither held nor decided" in r for r in reasons)
    db.expire_all()
    assert review.flag_status(db, flag, datetime.now(UTC)) == "claimed"


def test_a_leads_own_flag_looks_exactly_like_a_missing_one(db, make, browser) -> None:
    me = make.person("Lee Lead")
    flag = make.flag(make.post(make.account(me), "my own post"))
    lead = make.user("lead", person=me)
    db.commit()
    client = _signed_in(browser, lead)
    page, api = client.client.get(f"/flags/{flag.id}"), client.client.get(f"/api/flags/{flag.id}")
    assert (page.status_code, api.status_code) == (404, 404)
    assert _page(page.text) == _page(client.client.get(f"/flags/{MISSING}").text)
    assert "csp-nonce" in page.text
    assert api.json() == client.client.get(f"/api/flags/{MISSING}").json()
    reveal = client.api(f"/api/flags/{flag.id}/reveal", {"reason": "curious"})
    assert (reveal.status_code, reveal.json()) == (404, api.json())
    assert len(_events(db, "access.not_found")) == 5
    assert _events(db, "identity.reveal") == []


def test_another_employees_flag_looks_exactly_like_a_missing_one(db, make, browser) -> None:
    me = make.person("Em Ployee")
    employee = make.user("employee", person=me)
    theirs = make.flag()
    db.commit()
    client = _signed_in(browser, employee)
    body = {"kind": "comment", "body": "is this one mine?"}
    known = client.api(f"/api/me/flags/{theirs.id}/respond", body)
    unknown = client.api(f"/api/me/flags/{MISSING}/respond", body)
    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())
    assert known.status_code == 404
    assert [e.details["path"] for e in _events(db, "access.not_found")] == [
        f"/api/me/flags/{theirs.id}/respond",
        f"/api/me/flags/{MISSING}/respond",
    ]


def test_a_conflict_is_audited(db, make, browser) -> None:
    reviewer = make.user("reviewer")
    flag = make.flag()
    db.commit()
    client = _signed_in(browser, reviewer)
    assert client.api("/api/queue/claim").json() == {"flag_id": flag.id}
    assert client.api(f"/api/flags/{flag.id}/decide", DECIDE).status_code == 200
    again = client.api(f"/api/flags/{flag.id}/decide", DECIDE)
    assert again.status_code == 409
    [conflict] = _events(db, "access.conflict")
    assert (conflict.actor_user_id, conflict.details["path"]) == (
        reviewer.id,
        f"/api/flags/{flag.id}/decide",
    )
    assert "not claimed by you" in conflict.details["reason"]


def test_looking_at_the_escalation_list_is_audited(db, make, browser) -> None:
    reviewer, lead = make.user("reviewer"), make.user("lead")
    flag = make.flag()
    db.commit()
    review.claim_next(db, reviewer)
    review.decide(db, flag.id, reviewer, decision="escalate", clause="partisan", rationale="r")
    db.commit()
    client = _signed_in(browser, lead)
    assert client.client.get("/escalations").status_code == 200
    assert [e["flag_id"] for e in client.client.get("/api/escalations").json()] == [flag.id]
    events = _events(db, "escalation.list")
    assert [(e.actor_user_id, e.details["flag_ids"]) for e in events] == [
        (lead.id, [flag.id]),
        (lead.id, [flag.id]),
    ]
