"""The auditor's search as a person uses it: from the form (empty fields mean "any"), a day
that is included whole, one page of 50 at a time, actions picked from a list in plain words,
details and actors a person reads."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from pipeline.db.models import AuditEvent

EMPTY_FORM = {
    "action": "",
    "actor": "",
    "subject_type": "",
    "subject_id": "",
    "person_id": "",
    "date_from": "",
    "date_to": "",
}


def _auditor(browser, make, db):
    auditor = make.user("auditor")
    db.commit()
    client = browser()
    assert client.login(auditor.email).status_code == 303
    return client, auditor


def _event(db, at: datetime, action: str = "auth.login", **fields) -> AuditEvent:
    event = AuditEvent(at=at, actor=fields.pop("actor", "cli:ops"), action=action, **fields)
    db.add(event)
    return event


def test_a_search_from_the_form_with_empty_fields_answers_a_page(db, make, browser) -> None:
    client, _ = _auditor(browser, make, db)

    page = client.client.get("/audit", params=EMPTY_FORM)

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<table id="events">' in page.text and "int_parsing" not in page.text
    # the sign-in is there, with its words and its code
    assert "Signed in" in page.text and "<code>auth.login</code>" in page.text


def test_the_to_day_is_included_whole(db, make, browser) -> None:
    _event(db, datetime(2026, 11, 29, 8, 0, tzinfo=UTC), actor="cli:before")
    _event(db, datetime(2026, 11, 30, 23, 59, tzinfo=UTC), actor="cli:late-on-the-day")
    _event(db, datetime(2026, 12, 1, 0, 0, tzinfo=UTC), actor="cli:next-day")
    client, _ = _auditor(browser, make, db)

    page = client.client.get(
        "/audit", params={**EMPTY_FORM, "date_from": "2026-11-30", "date_to": "2026-11-30"}
    ).text

    assert "cli:late-on-the-day" in page
    assert "cli:before" not in page and "cli:next-day" not in page
    assert "Events 1 to 1 of 1" in page


def test_results_come_fifty_a_page_with_the_total_and_links_both_ways(db, make, browser) -> None:
    for n in range(120):
        _event(db, datetime(2026, 11, 1, 9, 0, n % 60, tzinfo=UTC), actor=f"cli:op{n:03d}")
    client, _ = _auditor(browser, make, db)
    wanted = {**EMPTY_FORM, "actor": "cli:op"}

    first = client.client.get("/audit", params=wanted).text
    third = client.client.get("/audit", params={**wanted, "page": "3"}).text
    past_the_end = client.client.get("/audit", params={**wanted, "page": "99"}).text

    assert "Events 1 to 50 of 120" in first and first.count('<tr class="event">') == 50
    assert 'rel="next"' in first and 'rel="prev"' not in first
    assert "page=2" in first and "actor=cli%3Aop" in first  # the filters travel with the page
    assert "Events 101 to 120 of 120" in third and third.count('<tr class="event">') == 20
    assert 'rel="prev"' in third and 'rel="next"' not in third
    assert "Events 101 to 120 of 120" in past_the_end
    searches = [e.details for e in db.query(AuditEvent).filter_by(action="audit.search")]
    assert searches[:2] == [
        {"results": 50, "total": 120, "page": 1},
        {"results": 20, "total": 120, "page": 3},
    ]


def test_actions_are_picked_from_a_list_in_plain_words_in_both_languages(db, make, browser) -> None:
    _event(db, datetime(2026, 11, 1, tzinfo=UTC), action="user.set_role", actor="cli:ops")
    client, _ = _auditor(browser, make, db)

    english = client.client.get("/audit", params={**EMPTY_FORM, "action": "user.set_role"}).text
    client.client.get("/lang/fr", params={"next": "/audit"})
    french = client.client.get("/audit", params={**EMPTY_FORM, "action": "user.set_role"}).text

    assert '<option value="user.set_role" selected>User&#39;s role changed</option>' in english
    assert '<optgroup label="Users and people">' in english
    assert "Rôle de l&#39;utilisateur changé" in french
    assert '<optgroup label="Utilisateurs et personnes">' in french
    assert "Events 1 to 1 of 1" in english


def test_details_read_as_lines_and_each_user_reads_as_their_email(db, make, browser) -> None:
    client, _ = _auditor(browser, make, db)
    reviewer = make.user("reviewer")
    _event(
        db,
        datetime(2026, 11, 1, tzinfo=UTC),
        action="flag.decide",
        actor=f"user:{reviewer.id}",
        actor_user_id=reviewer.id,
        details={"flag_ids": [7, 8], "stage": "review", "counts": {"posts": 2}},
    )
    _event(
        db,
        datetime(2026, 11, 2, tzinfo=UTC),
        action="access.denied",
        actor=f"user-id:{reviewer.id}",
        actor_user_id=reviewer.id,
        details={"path": "/audit"},
    )
    db.commit()

    page = client.client.get("/audit", params={**EMPTY_FORM, "actor": reviewer.email}).text

    assert "<li>flag ids: 7, 8</li>" in page and "<li>counts: posts: 2</li>" in page
    assert "{&#39;" not in page and "{'" not in page and "[7, 8]" not in page
    assert page.count(f"<td>user:{reviewer.email}</td>") == 2
    assert f"user:{reviewer.id}<" not in page and "user-id:" not in page


def test_a_filter_the_log_cannot_take_is_explained_and_the_form_kept(db, make, browser) -> None:
    client, _ = _auditor(browser, make, db)

    page = client.client.get("/audit", params={"person_id": "twelve", "actor": "ana@"})

    assert page.status_code == 400
    assert "is not a whole number" in page.text and 'id="search-error"' in page.text
    assert 'name="actor" value="ana@"' in page.text


def test_the_export_takes_the_same_form(db, make, browser) -> None:
    _event(db, datetime(2026, 11, 30, 22, 0, tzinfo=UTC), actor="cli:exported")
    client, _ = _auditor(browser, make, db)

    export = client.client.get("/audit/export", params={**EMPTY_FORM, "date_to": "2026-11-30"})

    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    actors = [row["actor"] for row in csv.DictReader(io.StringIO(export.text))]
    assert "cli:exported" in actors
