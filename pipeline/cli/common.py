"""What every command shares: consoles, the unit of work with user-facing errors, dates.

Human output is in the language of ``pipeline.i18n`` (set from ``IMPARTIAL_LANG`` or the
locale when the command starts); JSON and CSV output stay as they are, for scripts.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pipeline.clock import instant
from pipeline.config import get_settings
from pipeline.errors import InputError
from pipeline.i18n import _

if TYPE_CHECKING:
    from pipeline.db.engine import UnitOfWork

# Stored values (names, handles, reasons) are printed as written: markup is off unless a call
# asks for it (and then escapes what it quotes), so "[/]" in a name cannot break a listing.
console = Console(markup=False)
err = Console(stderr=True, markup=False)


def fail(message: str, code: int = 2) -> typer.Exit:
    # the message may quote stored values ("[/]" in a name): shown as written, never as markup
    prefix = escape(_("error:"))
    err.print(f"[bold red]{prefix}[/] {escape(message)}", highlight=False, markup=True)
    return typer.Exit(code)


_announced: set[Path] = set()


def note_new_data_folder() -> None:
    """Say on stderr, once, when the embedded database is about to be created: which folder.

    A database that appears silently in an unexpected folder looks like data lost; naming the
    folder (and the setting that moves it) makes the mistake visible at once.
    """
    settings = get_settings()
    if settings.database_url:
        return
    folder = settings.data_dir.expanduser().resolve()
    if folder in _announced or (folder / "pg" / "PG_VERSION").exists():
        return
    _announced.add(folder)
    err.print(
        _(
            "no database in %(folder)s yet: a new, empty one is created there "
            "(IMPARTIAL_DATA_DIR names another folder)"
        )
        % {"folder": folder},
        highlight=False,
        soft_wrap=True,  # a folder cut over two lines cannot be copied
    )


@contextmanager
def database_errors() -> Iterator[None]:
    """Turn the errors a user can cause or meet into a message and an exit code."""
    # imported here: a command that never opens the database (a warm ``check``) skips them
    from sqlalchemy import exc as sa_exc

    from pipeline.db.embedded import EmbeddedDatabaseError
    from pipeline.db.migrate import PgvectorMissingError

    note_new_data_folder()
    try:
        yield
    except InputError as exc:
        raise fail(str(exc), 2) from None
    except (EmbeddedDatabaseError, PgvectorMissingError) as exc:
        raise fail(str(exc), 1) from None
    except sa_exc.ProgrammingError as exc:
        if "does not exist" in str(exc.orig):
            raise fail(
                _("the database schema is missing or out of date: run 'impartial db upgrade'"),
                1,
            ) from None
        if "permission denied" in str(exc.orig):
            raise fail(
                _(
                    "the database refused: %(reason)s. The app's role holds only its grants; "
                    "if the schema predates them, run 'impartial db upgrade'"
                )
                % {"reason": str(exc.orig).strip()},
                1,
            ) from None
        raise
    except (sa_exc.OperationalError, sa_exc.InterfaceError) as exc:
        # one line: the driver's message goes on with hints over several lines
        reason = (str(exc.orig).strip().splitlines() or ["no answer"])[0]
        raise fail(
            _(
                "cannot reach the database: %(reason)s. Check that it runs and run the command "
                "again (the embedded one is started again by the next command)"
            )
            % {"reason": reason},
            1,
        ) from None


@contextmanager
def session() -> Iterator[UnitOfWork]:
    """A unit of work for one command; errors become messages, nothing half-written."""
    from pipeline.db.engine import unit_of_work

    with database_errors(), unit_of_work() as uow:
        yield uow


def parse_date(value: str | None, option: str) -> datetime | None:
    """An ISO date or date-time; naive values are taken as UTC."""
    try:
        return instant(value)
    except ValueError:
        raise fail(
            _("%(option)s: %(value)r is not a date (use YYYY-MM-DD)")
            % {"option": option, "value": value}
        ) from None


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
