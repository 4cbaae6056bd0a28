"""Accounts: a reviewer the conflict-of-interest guard cannot place is refused, weak passwords
are refused and never repeated back, and every account action (the user list included) is
audited, from the shell and from the admin's page alike."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from pipeline.cli import app as cli
from pipeline.db.models import AppUser, AuditEvent
from tests.factories import PASSWORD

runner = CliRunner()
GOOD = "a long enough secret\n"


def users(*args: str, input: str | None = GOOD):
    return runner.invoke(cli, ["users", *args], input=input)


def _events(db, prefix: str = "user.") -> list[AuditEvent]:
    db.expire_all()
    query = select(AuditEvent).where(AuditEvent.action.like(f"{prefix}%")).order_by(AuditEvent.id)
    return list(db.scalars(query))


@pytest.mark.parametrize("role", ["reviewer", "lead"])
def test_a_reviewer_who_is_neither_a_person_nor_external_is_refused(role, db) -> None:
    refused = users("add", "sam@example.org", "--role", role, "--password-stdin")
    assert refused.exit_code == 2
    assert "--person" in refused.output and "--external" in refused.output
    assert db.scalar(select(AppUser)) is None and _events(db) == []


def test_an_external_reviewer_is_marked_and_the_reason_audited(db) -> None:
    reason = ["--external", "agency contractor"]
    added = users("add", "sam@example.org", "--role", "reviewer", *reason, "--password-stdin")
    assert added.exit_code == 0, added.output
    user = db.scalar(select(AppUser))
    assert (user.external, user.person_id) == (True, None)
    [event] = _events(db)
    assert event.action == "user.add" and event.details["external"] is True
    assert event.details["external_reason"] == "agency contractor"
    blank = users("add", "kim@example.org", "--role", "lead", "--external", " ", "--password-stdin")
    assert blank.exit_code == 2 and "reason" in blank.output


def test_a_reviewer_whose_email_is_a_registered_persons_is_that_person(db, make) -> None:
    person = make.person("Rae Viewer")
    db.commit()
    added = users("add", person.email.upper(), "--role", "reviewer", "--password-stdin")
    assert added.exit_code == 0, added.output
    assert db.scalar(select(AppUser.person_id)) == person.id
    other = make.person("Oli Other")
    db.commit()
    dodge = users("add", other.email, "--role", "lead", "--external", "not me", "--password-stdin")
    assert dodge.exit_code == 2 and "registered person" in dodge.output
    assert db.scalar(select(AppUser).where(AppUser.email == other.email)) is None


def test_set_role_to_reviewer_needs_a_person_or_external_too(db, make) -> None:
    auditor = make.user("auditor")
    person = make.person()
    db.commit()
    refused = users("set-role", auditor.email, "reviewer", input=None)
    assert refused.exit_code == 2 and "--person" in refused.output
    db.expire_all()
    assert db.get(AppUser, auditor.id).role == "auditor"
    linked = users("set-role", auditor.email, "reviewer", "--person", person.email, input=None)
    assert linked.exit_code == 0, linked.output
    db.expire_all()
    user = db.get(AppUser, auditor.id)
    assert (user.role, user.person_id) == ("reviewer", person.id)
    [event] = [e for e in _events(db) if e.action == "user.set_role"]
    assert (event.details["from_role"], event.details["role"]) == ("auditor", "reviewer")


WEAK = [
    (" " * 12, "blank"),
    (" " * 8 + "abc" + " " * 8, "at least 12"),
    ("password1234", "common"),
    ("!!qwertyuiop2024", "common"),
    ("iloveyou!!!!2024", "common"),
    ("quentin-was-here", "user name"),
    ("QUENTIN@example.org", "email"),
    ("abababababababab", "too few"),
]


@pytest.mark.parametrize(("password", "says"), WEAK)
def test_weak_passwords_are_refused_without_repeating_them(password, says, db, make) -> None:
    stdin = password + "\n"
    added = users(
        "add", "quentin@example.org", "--role", "auditor", "--password-stdin", input=stdin
    )
    assert added.exit_code == 2 and says in added.output
    assert not password.strip() or password.strip() not in added.output
    assert db.scalar(select(AppUser)) is None
    user = make.user("auditor", email="quentin@example.org")
    db.commit()
    reset = users("reset-password", user.email, "--password-stdin", input=stdin)
    assert reset.exit_code == 2 and says in reset.output
    db.expire_all()
    assert db.get(AppUser, user.id).session_version == 0  # nothing changed


def test_validation_errors_never_echo_the_password(db, make, browser) -> None:
    secret = "my-real-password-" + "z" * 1100  # over the form's limit: a validation error
    client = browser()
    client.refresh_csrf()
    login = client.client.post(
        "/login", data={"email": "x@example.org", "password": secret, "csrf_token": client.csrf}
    )
    assert login.status_code == 422 and "password" in login.text
    assert "my-real-password" not in login.text
    admin, target = make.user("admin"), make.user("auditor")
    db.commit()
    client.login(admin.email)
    for password in (secret, "my-real-pw!"):
        page = client.form(f"/admin/users/{target.id}/password", password=password)
        assert page.status_code in (400, 422)
        assert "my-real-p" not in page.text
    api = client.client.post(
        "/api/selfcheck",
        content=json.dumps({"text": "", "seniority": "my-real-password-is-this-one"}),
        headers={"X-CSRF-Token": client.csrf, "content-type": "application/json"},
    )
    assert api.status_code == 422
    assert "my-real-password" not in api.text
    assert [e["loc"] for e in api.json()["detail"]] == [["body", "text"], ["body", "seniority"]]


def test_every_account_command_is_audited_and_no_password_is(db, make) -> None:
    person = make.person()
    db.commit()
    assert users("add", "rae@example.org", "--role", "auditor", "--password-stdin").exit_code == 0
    commands = [
        ("list",),
        ("set-role", "rae@example.org", "reviewer", "--person", person.email),
        ("reset-password", "rae@example.org", "--password-stdin"),
        ("unlock", "rae@example.org"),
        ("deactivate", "rae@example.org"),
    ]
    for command in commands:
        result = users(*command, input="another long passphrase\n")
        assert result.exit_code == 0, (command, result.output)
    events = _events(db)
    assert [e.action for e in events] == [
        "user.add",
        "user.list",
        "user.set_role",
        "user.reset_password",
        "user.unlock",
        "user.deactivate",
    ]
    assert all(e.actor.startswith("cli:") for e in events)
    dumped = json.dumps([e.details for e in events])
    assert "long enough" not in dumped and "another long" not in dumped
    again = users("deactivate", "rae@example.org")
    assert again.exit_code == 2 and "already deactivated" in again.output


def test_unlock_opens_an_account_locked_by_failed_sign_ins(db, make, browser) -> None:
    user = make.user("auditor")
    db.commit()
    client = browser()
    for _ in range(5):
        client.login(user.email, "not the password at all")
    assert client.login(user.email).status_code == 401  # locked
    assert users("unlock", user.email).exit_code == 0
    assert client.login(user.email, PASSWORD).status_code == 303
    [event] = [e for e in _events(db) if e.action == "user.unlock"]
    assert event.details["was_locked"] is True


def test_the_admin_page_acts_only_with_the_csrf_token_and_audits_each_action(
    db, make, browser
) -> None:
    admin, target = make.user("admin"), make.user("auditor")
    person = make.person()
    db.commit()
    client = browser()
    client.login(admin.email)
    page = client.client.get("/admin/users")
    assert page.status_code == 200 and target.email in page.text
    forged = client.client.post(f"/admin/users/{target.id}/deactivate")
    assert forged.status_code == 403
    forged = client.client.post(
        f"/admin/users/{target.id}/role", data={"role": "admin", "csrf_token": "forged"}
    )
    assert forged.status_code == 403
    db.expire_all()
    assert (db.get(AppUser, target.id).role, db.get(AppUser, target.id).active) == (
        "auditor",
        True,
    )
    steps = [
        ("role", {"role": "lead", "person": person.email}),
        ("password", {"password": "a new passphrase for them"}),
        ("unlock", {}),
        ("deactivate", {}),
    ]
    for action, data in steps:
        done = client.form(f"/admin/users/{target.id}/{action}", **data)
        assert done.status_code == 303 and done.headers["location"].startswith("/admin/users")
    db.expire_all()
    changed = db.get(AppUser, target.id)
    assert (changed.role, changed.person_id, changed.active) == ("lead", person.id, False)
    events = _events(db)
    assert [e.action for e in events] == [
        "user.list",
        "user.set_role",
        "user.reset_password",
        "user.unlock",
        "user.deactivate",
    ]
    assert {(e.actor, e.actor_user_id) for e in events} == {(f"user:{admin.email}", admin.id)}
    assert {e.subject_id for e in events[1:]} == {str(target.id)}
    refused = client.form(f"/admin/users/{admin.id}/role", role="reviewer")
    assert refused.status_code == 400 and "--person" in refused.text
