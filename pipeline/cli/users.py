"""``impartial users``: local accounts of the review app."""

from __future__ import annotations

import sys

import typer
from rich.table import Table

from pipeline.audit.trail import cli_actor
from pipeline.cli.common import console, fail, session
from pipeline.i18n import _
from pipeline.labels import label
from pipeline.review import users as users_mod
from pipeline.vocabulary import ROLES

users = typer.Typer(
    help="Review app accounts: add, list, deactivate, set-role, reset-password, unlock.",
    no_args_is_help=True,
)


def _read_password(from_stdin: bool) -> str:
    if from_stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise fail(_("no password on stdin"))
        return password
    return typer.prompt(_("Password"), hide_input=True, confirmation_prompt=True)


PERSON_HELP = (
    "Email of the registered person this user is: needed for employees; a reviewer or lead "
    "needs it (or --external) so that their own posts never reach them. A user whose email is "
    "a registered person's is linked to that person without it."
)
EXTERNAL_HELP = (
    "For a reviewer or lead who is none of the monitored people: why (audited), "
    "e.g. 'agency contractor'."
)


@users.command("add")
def add(
    email: str = typer.Argument(..., help="Sign-in email."),
    role: str = typer.Option(..., "--role", help=f"One of: {', '.join(ROLES)}."),
    person: str | None = typer.Option(None, "--person", help=PERSON_HELP),
    external: str | None = typer.Option(None, "--external", metavar="REASON", help=EXTERNAL_HELP),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from stdin instead of a prompt."
    ),
) -> None:
    """Add a user; the password is asked for (or read from stdin) and stored as an argon2 hash.

    A password has at least 12 characters, is not the email nor its user name, and is not a
    common password.

    Example: impartial users add rae@example.org --role reviewer --person rae@example.org
    """
    password = _read_password(password_stdin)
    with session() as uow:
        user = users_mod.add_user(
            uow.session,
            email,
            role=role,
            password=password,
            person_email=person,
            external=external,
            actor=cli_actor(),
        )
        uow.commit()
        console.print(
            _("added user %(id)s %(email)s (%(role)s)")
            % {"id": user.id, "email": user.email, "role": label(user.role)}
        )


@users.command("list")
def list_() -> None:
    """List the review app's users (the listing is audited).

    Example: impartial users list
    """
    with session() as uow:
        table = Table(_("id"))
        table.add_column(_("email"), no_wrap=True)
        for header in (
            _("role"),
            _("person id"),
            _("active"),
            _("locked until"),
            _("last sign-in"),
        ):
            table.add_column(header)
        for u in users_mod.list_users(uow.session, actor=cli_actor()):
            table.add_row(
                str(u.id),
                u.email,
                label(u.role),
                str(u.person_id or (_("external") if u.external else "")),
                str(u.active),
                str(u.locked_until or ""),
                str(u.last_login_at or ""),
            )
        uow.commit()
    console.print(table)


@users.command("deactivate")
def deactivate(email: str = typer.Argument(..., help="The user's sign-in email.")) -> None:
    """Deactivate a user: they can no longer sign in, and their sessions end now.

    Example: impartial users deactivate rae@example.org
    """
    with session() as uow:
        user = users_mod.find_user(uow.session, email)
        users_mod.deactivate(uow.session, user, actor=cli_actor())
        uow.commit()
        console.print(_("deactivated %(email)s") % {"email": user.email})


@users.command("set-role")
def set_role(
    email: str = typer.Argument(..., help="The user's sign-in email."),
    role: str = typer.Argument(..., help=f"One of: {', '.join(ROLES)}."),
    person: str | None = typer.Option(None, "--person", help=PERSON_HELP),
    external: str | None = typer.Option(None, "--external", metavar="REASON", help=EXTERNAL_HELP),
) -> None:
    """Give a user another role; their sessions end (they sign in again with the new role).

    Example: impartial users set-role rae@example.org lead
    """
    with session() as uow:
        user = users_mod.find_user(uow.session, email)
        users_mod.set_role(
            uow.session, user, role, person_email=person, external=external, actor=cli_actor()
        )
        uow.commit()
        console.print(
            _("%(email)s is now %(role)s") % {"email": user.email, "role": label(user.role)}
        )


@users.command("reset-password")
def reset_password(
    email: str = typer.Argument(..., help="The user's sign-in email."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the new password from stdin instead of a prompt."
    ),
) -> None:
    """Set a new password for a user (the same policy as 'users add'); their sessions end.

    Example: impartial users reset-password rae@example.org
    """
    password = _read_password(password_stdin)
    with session() as uow:
        user = users_mod.find_user(uow.session, email)
        users_mod.reset_password(uow.session, user, password, actor=cli_actor())
        uow.commit()
        console.print(_("new password set for %(email)s") % {"email": user.email})


@users.command("unlock")
def unlock(email: str = typer.Argument(..., help="The user's sign-in email.")) -> None:
    """Lift the lock that repeated failed sign-ins put on an account.

    Example: impartial users unlock rae@example.org
    """
    with session() as uow:
        user = users_mod.find_user(uow.session, email)
        users_mod.unlock(uow.session, user, actor=cli_actor())
        uow.commit()
        console.print(_("unlocked %(email)s") % {"email": user.email})


def register(app: typer.Typer) -> None:
    app.add_typer(users, name="users")
