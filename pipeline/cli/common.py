"""What every command shares: consoles, the unit of work with user-facing errors, dates."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy import exc as sa_exc

from pipeline.clock import instant
from pipeline.db.embedded import EmbeddedDatabaseError
from pipeline.db.engine import UnitOfWork, unit_of_work
from pipeline.db.migrate import PgvectorMissingError
from pipeline.errors import InputError

# Stored values (names, handles, reasons) are printed as written: markup is off unless a call
# asks for it (and then escapes what it quotes), so "[/]" in a name cannot break a listing.
console = Console(markup=False)
err = Console(stderr=True, markup=False)


def fail(message: str, code: int = 2) -> typer.Exit:
    # the message may quote stored values ("[/]" in a name): shown as written, never as markup
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, markup=True)
    return typer.Exit(code)


@contextmanager
def database_errors() -> Iterator[None]:
    """Turn the errors a user can cause or meet into a message and an exit code."""
    try:
        yield
    except InputError as exc:
        raise fail(str(exc), 2) from None
    except (EmbeddedDatabaseError, PgvectorMissingError) as exc:
        raise fail(str(exc), 1) from None
    except sa_exc.ProgrammingError as exc:
        if "does not exist" in str(exc.orig):
            raise fail(
                "the database schema is missing or out of date: run 'impartial db upgrade'", 1
            ) from None
        if "permission denied" in str(exc.orig):
            raise fail(
                f"the database refused: {str(exc.orig).strip()}. The app's role holds only its "
                "grants; if the schema predates them, run 'impartial db upgrade'",
                1,
            ) from None
        raise
    except (sa_exc.OperationalError, sa_exc.InterfaceError) as exc:
        # one line: the driver's message goes on with hints over several lines
        reason = (str(exc.orig).strip().splitlines() or ["no answer"])[0]
        raise fail(
            f"cannot reach the database: {reason}. Check that it runs and run the command "
            "again (the embedded one is started again by the next command)",
            1,
        ) from None


@contextmanager
def session() -> Iterator[UnitOfWork]:
    """A unit of work for one command; errors become messages, nothing half-written."""
    with database_errors(), unit_of_work() as uow:
        yield uow


def parse_date(value: str | None, option: str) -> datetime | None:
    """An ISO date or date-time; naive values are taken as UTC."""
    try:
        return instant(value)
    except ValueError:
        raise fail(f"{option}: {value!r} is not a date (use YYYY-MM-DD)") from None


JSON_OPTION_HELP = "Print JSON (one object per row) instead of a table."


def print_rows(columns: list[str], rows: list[list[object]], *, as_json: bool) -> None:
    """A table for people, or JSON for scripts; long values fold instead of being cut."""
    if as_json:
        typer.echo(
            json.dumps(
                [dict(zip(columns, row, strict=True)) for row in rows], default=str, indent=2
            )
        )
        return
    table = Table(*columns)
    for column in table.columns:
        column.overflow = "fold"
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    console.print(table)
