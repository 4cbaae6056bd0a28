"""``impartial languages``: the official-languages check of official accounts."""

from __future__ import annotations

import typer

from pipeline.classify import official_languages
from pipeline.cli.common import console, parse_date, session
from pipeline.i18n import _

languages = typer.Typer(
    help="Official languages: EN/FR parity of official accounts.", no_args_is_help=True
)


@languages.command("check")
def check(
    at: str | None = typer.Option(None, "--at", help="Check as of this date-time (UTC)."),
) -> None:
    """Tag official posts by language and flag EN/FR posts with no counterpart in the window.

    Example: impartial languages check
    """
    with session() as uow:
        created = official_languages.check_official_languages(
            uow.session, at=parse_date(at, "--at")
        )
        uow.commit()
    console.print(_("%(n)s official_languages flag(s) created") % {"n": created})


def register(app: typer.Typer) -> None:
    app.add_typer(languages, name="languages")
