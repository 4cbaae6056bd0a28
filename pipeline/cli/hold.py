"""``impartial hold``: legal holds, which suspend every purge of a person's data."""

from __future__ import annotations

import typer
from rich.table import Table

from pipeline.audit.trail import cli_actor
from pipeline.cli.common import console, session
from pipeline.db.models import Person
from pipeline.i18n import _
from pipeline.privacy.holds import list_holds, place_hold, release_hold

hold = typer.Typer(help="Legal holds: add, release, list.", no_args_is_help=True)


@hold.command("add")
def add(
    email: str = typer.Argument(..., help="The person whose data must be preserved."),
    reason: str = typer.Option(..., "--reason", help="The matter that requires the hold."),
) -> None:
    """Place a legal hold: nothing of this person's is purged until it is released.

    Example: impartial hold add ana.roy@example.org --reason "Grievance 2026-114"
    """
    with session() as uow:
        placed = place_hold(uow.session, email, reason=reason, actor=cli_actor())
        uow.commit()
        console.print(
            _("legal hold %(id)s placed on %(email)s") % {"id": placed.id, "email": email}
        )


@hold.command("release")
def release(hold_id: int = typer.Argument(..., help="The hold's id (see 'hold list').")) -> None:
    """Release a legal hold; the next retention run purges what is due.

    Example: impartial hold release 3
    """
    with session() as uow:
        released = release_hold(uow.session, hold_id, actor=cli_actor())
        uow.commit()
        console.print(_("legal hold %(id)s released") % {"id": released.id})


@hold.command("list")
def list_(
    include_released: bool = typer.Option(False, "--all", help="Include released holds."),
) -> None:
    """List legal holds in force (or all of them).

    Example: impartial hold list --all
    """
    with session() as uow:
        table = Table(_("id"), _("person"), _("reason"), _("placed by"), _("placed"), _("released"))
        for h in list_holds(uow.session, include_released=include_released):
            person = uow.session.get(Person, h.person_id)
            table.add_row(
                str(h.id),
                person.email if person else str(h.person_id),
                h.reason,
                h.placed_by,
                f"{h.placed_at:%Y-%m-%d}",
                f"{h.released_at:%Y-%m-%d}" if h.released_at else "-",
            )
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(hold, name="hold")
