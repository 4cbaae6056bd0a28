"""``impartial classifier card V``: a classifier version's model card, as Markdown or JSON."""

from __future__ import annotations

import json

import typer

from pipeline.cli.classifier import classifier_app
from pipeline.cli.common import session


def card(
    version: str = typer.Argument(..., help="Version, or 'live' for the live one."),
    as_json: bool = typer.Option(False, "--json", help="Print the card as one JSON object."),
    lang: str = typer.Option("en", "--lang", help="Language of the card's text: en or fr."),
    days: int = typer.Option(
        30, "--days", min=1, help="Window of recent posts for the disagreement with live."
    ),
) -> None:
    """Print a version's model card: use, data, measured quality per category and language,
    thresholds, disagreement with the live version, limits, human involvement and recourse.

    Markdown by default, ready to keep beside an Algorithmic Impact Assessment. Reads only.

    Example: impartial classifier card live --lang fr > fiche.md
    """
    from pipeline.classify.card import model_card, render_markdown

    with session() as uow:
        result = model_card(uow.session, version, lang=lang, days=days)
    if as_json:
        print(json.dumps(result, ensure_ascii=False))
        return
    print(render_markdown(result), end="")


def register(app: typer.Typer) -> None:
    classifier_app.command("card")(card)
