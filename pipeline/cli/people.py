"""``impartial people``: the people whose accounts may be registered."""

from __future__ import annotations

import typer

from pipeline.audit.trail import cli_actor
from pipeline.cli.common import JSON_OPTION_HELP, console, print_rows, session
from pipeline.registry.people import add_person, list_people
from pipeline.vocabulary import SENIORITY_BANDS

people = typer.Typer(help="People: email, org unit, seniority band.", no_args_is_help=True)


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


@people.command("list")
def list_(as_json: bool = typer.Option(False, "--json", help=JSON_OPTION_HELP)) -> None:
    """List registered people.

    Example: impartial people list --json
    """
    with session() as uow:
        rows = [
            [p.id, p.email, p.display_name, p.org_unit, p.seniority_band, p.pseudonym]
            for p in list_people(uow.session)
        ]
    print_rows(["id", "email", "name", "org_unit", "seniority", "pseudonym"], rows, as_json=as_json)


def register(app: typer.Typer) -> None:
    app.add_typer(people, name="people")
