"""``impartial people edit`` and ``people retire``: the same rules and audit as the admin's page,
one-line errors with exit code 2, nothing written when refused."""

from __future__ import annotations

from sqlalchemy import select
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.db.models import Account, AppUser, AuditEvent, Person

runner = CliRunner()


def people(*args: str):
    return runner.invoke(app, ["people", *args])


def _events(db, action: str) -> list[AuditEvent]:
    db.expire_all()
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_edit_changes_what_is_given_and_records_which_fields(db, make) -> None:
    person = make.person("Ana Roy", seniority="staff")
    db.commit()

    done = people("edit", person.email, "--name", "Ana Roy-Tremblay", "--seniority", "manager")

    assert done.exit_code == 0, done.output
    assert "Ana Roy-Tremblay" in done.output and "Manager" in done.output
    french = runner.invoke(
        app,
        ["people", "edit", person.email, "--org-unit", "Direction"],
        env={"IMPARTIAL_LANG": "fr"},
    )
    assert "Gestionnaire" in french.output
    db.expire_all()
    edited = db.get(Person, person.id)
    assert (edited.display_name, edited.seniority_band, edited.pseudonym) == (
        "Ana Roy-Tremblay",
        "manager",
        person.pseudonym,
    )
    event = _events(db, "person.edit")[0]
    assert event.actor.startswith("cli:") and event.details["changed"] == [
        "display_name",
        "seniority_band",
    ]


def test_edit_moves_the_email_and_refuses_nothing_to_change(db, make) -> None:
    person = make.person("Ana")
    db.commit()

    moved = people("edit", person.email, "--email", "Ana.New@Example.org")
    again = people("edit", "ana.new@example.org", "--email", "ana.new@example.org")
    unknown = people("edit", "nobody@example.org", "--name", "X")
    bad_band = people("edit", "ana.new@example.org", "--seniority", "boss")

    assert moved.exit_code == 0, moved.output
    db.expire_all()
    assert db.get(Person, person.id).email == "ana.new@example.org"
    assert again.exit_code == 2 and "nothing to change" in again.output
    assert unknown.exit_code == 2 and "no person registered" in unknown.output
    assert bad_band.exit_code == 2 and "unknown seniority band" in bad_band.output
    assert "Traceback" not in again.output + unknown.output + bad_band.output
    assert len(_events(db, "person.edit")) == 1


def test_retire_stops_the_scan_once_and_is_audited(db, make, world) -> None:
    person = world.person("leaver")
    account = make.account(person)
    world.consent(person)
    reviewer = make.user("reviewer", person=person)
    db.commit()

    done = people("retire", person.email, "--reason", "left the department")
    again = people("retire", person.email)

    assert done.exit_code == 0, done.output
    assert "consents withdrawn 1" in done.output and "sign-in accounts deactivated 1" in done.output
    db.expire_all()
    assert db.get(Account, account.id).active is False
    assert db.get(AppUser, reviewer.id).active is False
    [event] = _events(db, "person.retire")
    assert event.actor.startswith("cli:") and event.details["reason"] == "left the department"
    assert again.exit_code == 2 and "was retired on" in again.output
    listed = people("list", "--json")
    assert '"retired": "' in listed.output


def test_a_retired_person_gets_no_new_sign_in_account(db, make) -> None:
    person = make.person("Gone")
    db.commit()
    assert people("retire", person.email).exit_code == 0

    added = runner.invoke(
        app,
        [
            "users",
            "add",
            "new@example.org",
            "--role",
            "employee",
            "--person",
            person.email,
            "--password-stdin",
        ],
        input="a long enough secret\n",
    )

    assert added.exit_code == 2 and "was retired on" in added.output
    assert db.scalar(select(AppUser)) is None


def test_a_retired_person_is_given_no_consent_and_no_account(db, make) -> None:
    person = make.person("Left")
    db.commit()
    assert people("retire", person.email).exit_code == 0

    consent = runner.invoke(
        app, ["consent", "grant", person.email, "--evidence", "form 12 in the HR file"]
    )
    account = runner.invoke(
        app,
        [
            "accounts",
            "add",
            "--platform",
            "mastodon",
            "--handle",
            "@left@mastodon.example",
            "--kind",
            "personal",
            "--owner",
            person.email,
        ],
    )

    assert consent.exit_code == 2 and "was retired on" in consent.output
    assert account.exit_code == 2 and "was retired on" in account.output
    db.expire_all()
    assert db.scalar(select(Account)) is None
