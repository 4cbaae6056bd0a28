"""``impartial users``: local accounts of the review app."""

from __future__ import annotations

import sys

import typer
from rich.table import Table

from pipeline.audit.trail import cli_actor
from pipeline.cli.common import console, fail, session
from pipeline.review import users as users_mod
from pipeline.vocabulary import ROLES

users = typer.Typer(help="Review app accounts: add, list.", no_args_is_help=True)


def _read_password(from_stdin: bool) -> str:
    if from_stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise fail("no password on stdin")
        return password
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


@users.command("add")
def add(
    email: str = typer.Argument(..., help="Sign-in email."),
    role: str = typer.Option(..., "--role", help=f"One of: {', '.join(ROLES)}."),
    person: str | None = typer.Option(
        None,
        "--person",
        help="Email of the registered person this user is (needed for "
        "employees; for reviewers and leads it keeps their own posts away from them).",
    ),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from stdin instead of a prompt."
    ),
) -> None:
    """Add a user; the password is asked for (or read from stdin) and stored as an argon2 hash.

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
            actor=cli_actor(),
        )
        uow.commit()
        console.print(f"added user {user.id} {user.email} ({user.role})")


@users.command("list")
def list_() -> None:
    """List the review app's users.

    Example: impartial users list
    """
    with session() as uow:
        table = Table("id", "email", "role", "person id", "active", "last sign-in")
        for u in users_mod.list_users(uow.session):
            table.add_row(
                str(u.id),
                u.email,
                u.role,
                str(u.person_id or ""),
                str(u.active),
                str(u.last_login_at or ""),
            )
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(users, name="users")
