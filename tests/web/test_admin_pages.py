"""The admin's Users page as forms a person fills in: add a user, deactivate one, edit or retire
a person; each change audited, a refused form kept as it was typed (never the password)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from pipeline.db.models import Account, AppUser, AuditEvent, Consent, Person, Post
from pipeline.registry.consent import eligible_accounts
from tests.factories import T0

NEW_PASSWORD = "a fresh passphrase for Rae"


def _admin(browser, make, db):
    admin = make.user("admin")
    db.commit()
    client = browser()
    assert client.login(admin.email).status_code == 303
    return client, admin


def _events(db, *actions: str) -> list[AuditEvent]:
    db.expire_all()
    query = select(AuditEvent).where(AuditEvent.action.in_(actions)).order_by(AuditEvent.id)
    return list(db.scalars(query))


def test_an_admin_adds_a_user_from_the_page_and_it_is_audited(db, make, browser) -> None:
    person = make.person("Rae Doe")
    client, admin = _admin(browser, make, db)

    added = client.form(
        "/admin/users",
        email="Rae@Example.org",
        role="reviewer",
        person=person.email,
        password=NEW_PASSWORD,
        external="",
    )

    assert added.status_code == 303 and added.headers["location"] == "/admin/users?done=added"
    user = db.scalar(select(AppUser).where(AppUser.email == "rae@example.org"))
    assert (user.role, user.person_id, user.active) == ("reviewer", person.id, True)
    [event] = _events(db, "user.add")
    assert (event.actor, event.actor_user_id, event.subject_id) == (
        f"user:{admin.email}",
        admin.id,
        str(user.id),
    )
    page = client.client.get(added.headers["location"]).text
    assert "The user was added." in page and "rae@example.org" in page
    assert browser().login("rae@example.org", NEW_PASSWORD).status_code == 303


def test_a_refused_user_keeps_what_was_typed_but_not_the_password(db, make, browser) -> None:
    client, _ = _admin(browser, make, db)

    refused = client.form(
        "/admin/users",
        email="emp@example.org",
        role="employee",
        person="",
        external="",
        password=NEW_PASSWORD,
    )

    assert refused.status_code == 400
    assert 'id="form-error"' in refused.text and "needs --person" in refused.text
    assert 'value="emp@example.org"' in refused.text and NEW_PASSWORD not in refused.text
    assert db.scalar(select(AppUser).where(AppUser.email == "emp@example.org")) is None
    assert _events(db, "user.add") == []


def test_deactivating_from_the_page_is_confirmed_and_audited(db, make, browser) -> None:
    target = make.user("auditor")
    client, _ = _admin(browser, make, db)
    page = client.client.get("/admin/users").text
    form = page[page.index(f'action="/admin/users/{target.id}/deactivate"') :]
    assert '<input type="checkbox" name="confirm" value="yes" required>' in form[:600]

    done = client.form(f"/admin/users/{target.id}/deactivate", confirm="yes")

    assert done.headers["location"] == "/admin/users?done=deactivated"
    db.expire_all()
    assert db.get(AppUser, target.id).active is False
    assert [e.subject_id for e in _events(db, "user.deactivate")] == [str(target.id)]


def test_an_admin_edits_a_person_and_only_the_fields_changed_are_recorded(
    db, make, browser
) -> None:
    person = make.person("Ana Roy", seniority="staff")
    client, admin = _admin(browser, make, db)

    done = client.form(
        f"/admin/people/{person.id}",
        name="Ana Roy-Tremblay",
        email=person.email,
        org_unit=person.org_unit,
        seniority="executive",
    )

    assert done.headers["location"] == "/admin/users?done=edited"
    db.expire_all()
    edited = db.get(Person, person.id)
    assert (edited.display_name, edited.seniority_band) == ("Ana Roy-Tremblay", "executive")
    [event] = _events(db, "person.edit")
    assert event.details == {
        "changed": ["display_name", "seniority_band"],
        "from_seniority": "staff",
        "seniority": "executive",
    }
    assert (event.actor_user_id, event.person_id) == (admin.id, person.id)
    assert "Ana Roy-Tremblay" not in str(event.details)


def test_an_edit_to_a_taken_email_is_refused_and_the_form_kept(db, make, browser) -> None:
    ana, bo = make.person("Ana"), make.person("Bo")
    client, _ = _admin(browser, make, db)

    refused = client.form(f"/admin/people/{ana.id}", name="Ana Two", email=bo.email)

    assert refused.status_code == 400 and "already registered" in refused.text
    assert 'value="Ana Two"' in refused.text  # what was typed is still there
    db.expire_all()
    assert db.get(Person, ana.id).display_name == "Ana"
    assert _events(db, "person.edit") == []


def test_retiring_a_person_stops_their_scan_and_is_audited_at_each_step(
    db, make, browser, world
) -> None:
    person = world.person("leaver")
    account = make.account(person)
    world.consent(person)
    post_id = make.post(account, "An old post", published_at=T0 - timedelta(days=3)).id
    employee = make.user("employee", person=person)
    client, admin = _admin(browser, make, db)
    assert account.id in [a.id for a in eligible_accounts(db)]

    done = client.form(f"/admin/people/{person.id}/retire", reason="left", confirm="yes")

    assert done.headers["location"] == "/admin/users?done=retired"
    db.expire_all()
    assert db.get(Person, person.id).retired_at is not None
    assert db.get(Account, account.id).active is False
    assert db.scalar(select(Consent).where(Consent.person_id == person.id)).withdrawn_at
    assert db.get(AppUser, employee.id).active is False
    assert db.get(Post, post_id) is None  # undecided content purged, as on withdrawal
    assert account.id not in [a.id for a in eligible_accounts(db)]
    events = _events(
        db,
        "consent.withdraw",
        "account.deactivate",
        "privacy.purge",
        "user.deactivate",
        "person.retire",
    )
    assert [e.action for e in events] == [
        "consent.withdraw",
        "account.deactivate",
        "privacy.purge",
        "user.deactivate",
        "person.retire",
    ]
    assert {e.actor for e in events} == {f"user:{admin.email}"}
    assert events[-1].details == {
        "consents_withdrawn": 1,
        "accounts_deactivated": 1,
        "users_deactivated": 1,
        "accounts_purged": 1,
        "accounts_held": 0,
        "reason": "left",
    }
    page = client.client.get(done.headers["location"]).text
    assert "retired on" in page and f'action="/admin/people/{person.id}/retire"' not in page


def test_a_person_who_signs_in_as_admin_is_not_retired(db, make, browser) -> None:
    person = make.person("Ad Min")
    make.user("admin", person=person)
    client, _ = _admin(browser, make, db)

    refused = client.form(f"/admin/people/{person.id}/retire", confirm="yes")

    assert refused.status_code == 400 and "signs in as an administrator" in refused.text
    db.expire_all()
    assert db.get(Person, person.id).retired_at is None
    assert _events(db, "person.retire") == []


def test_the_page_reads_in_french(db, make, browser) -> None:
    make.person("Ana")
    client, _ = _admin(browser, make, db)
    client.client.get("/lang/fr", params={"next": "/admin/users"})

    page = client.client.get("/admin/users").text

    assert "Ajouter un utilisateur" in page and "Retirer la personne du registre" in page
    assert "Niveau hiérarchique" in page
