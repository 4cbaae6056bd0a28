"""``impartial people``: the people whose accounts may be registered."""

from __future__ import annotations

import typer

from pipeline.audit.trail import cli_actor
from pipeline.cli.common import JSON_OPTION_HELP, console, print_rows, session
from pipeline.i18n import _
from pipeline.labels import label
from pipeline.privacy.retirement import retire_person
from pipeline.registry.people import add_person, edit_person, list_people
from pipeline.vocabulary import SENIORITY_BANDS

people = typer.Typer(
    help="People: email, org unit, seniority band; add, edit, retire, list.",
    no_args_is_help=True,
)


@people.command("add")
def add(
    email: str = typer.Argument(..., help="Work email; identifies the person."),
    name: str = typer.Option(..., "--name", help="Display name (shown to leads only)."),
    org_unit: str = typer.Option(..., "--org-unit", help="Organizational unit."),
    seniority: str = typer.Option(
        "staff", "--seniority", help=f"Seniority band: {', '.join(SENIORITY_BANDS)}."
    ),
) -> None:
    """Register a person. Reviewers see only their pseudonym, unit and band.

    Example: impartial people add ana.roy@example.org --name "Ana Roy" --org-unit "Policy Branch" --seniority manager
    """
    with session() as uow:
        person = add_person(
            uow.session,
            email,
            name=name,
            org_unit=org_unit,
            seniority=seniority,
            actor=cli_actor(),
        )
        uow.commit()
        console.print(f"added person {person.id} {person.email} (pseudonym {person.pseudonym})")


@people.command("edit")
def edit(
    email: str = typer.Argument(..., help="The person's current work email."),
    name: str | None = typer.Option(None, "--name", help="New display name."),
    new_email: str | None = typer.Option(None, "--email", help="New work email."),
    org_unit: str | None = typer.Option(None, "--org-unit", help="New organizational unit."),
    seniority: str | None = typer.Option(
        None, "--seniority", help=f"New seniority band: {', '.join(SENIORITY_BANDS)}."
    ),
) -> None:
    """Change a person's name, email, org unit or seniority band (the pseudonym stays).

    Only what is given changes; the change is audited (person.edit, with the fields changed).

    Example: impartial people edit ana.roy@example.org --name "Ana Roy-Tremblay" --seniority executive
    """
    with session() as uow:
        person = edit_person(
            uow.session,
            email,
            name=name,
            new_email=new_email,
            org_unit=org_unit,
            seniority=seniority,
            actor=cli_actor(),
        )
        uow.commit()
        console.print(
            _("%(email)s: %(name)s, %(unit)s, %(band)s")
            % {
                "email": person.email,
                "name": person.display_name,
                "unit": person.org_unit,
                "band": label(person.seniority_band),
            },
            highlight=False,
        )


@people.command("retire")
def retire(
    email: str = typer.Argument(..., help="The person's work email."),
    reason: str | None = typer.Option(
        None, "--reason", help="Why, e.g. 'left the department' (kept in the audit log)."
    ),
) -> None:
    """Retire a person who leaves: nothing of theirs is scanned any more.

    Every consent in force is withdrawn and the content kept only for scanning them is purged,
    as 'consent withdraw' does (decided flags keep their decision; a legal hold suspends the
    purge); their personal accounts and sign-in accounts are deactivated. Official accounts
    stay. Audited as person.retire.

    Example: impartial people retire ana.roy@example.org --reason "left the department"
    """
    with session() as uow:
        done = retire_person(uow.session, email, reason=reason, actor=cli_actor())
        uow.commit()
        counts = {
            "email": done.person.email,
            "consents": done.consents_withdrawn,
            "accounts": done.accounts_deactivated,
            "users": done.users_deactivated,
            "purged": done.purged.get("accounts", 0),
            "held": done.purged.get("held_accounts", 0),
        }
        console.print(
            _(
                "retired %(email)s: consents withdrawn %(consents)s, accounts deactivated "
                "%(accounts)s, sign-in accounts deactivated %(users)s, accounts purged "
                "%(purged)s, held by a legal hold %(held)s"
            )
            % counts,
            highlight=False,
        )


@people.command("list")
def list_(as_json: bool = typer.Option(False, "--json", help=JSON_OPTION_HELP)) -> None:
    """List registered people.

    Example: impartial people list --json
    """
    with session() as uow:
        rows = [
            [
                p.id,
                p.email,
                p.display_name,
                p.org_unit,
                p.seniority_band,
                p.pseudonym,
                f"{p.retired_at:%Y-%m-%d}" if p.retired_at else "",
            ]
            for p in list_people(uow.session)
        ]
    print_rows(
        ["id", "email", "name", "org_unit", "seniority", "pseudonym", "retired"],
        rows,
        as_json=as_json,
    )


def register(app: typer.Typer) -> None:
    app.add_typer(people, name="people")
