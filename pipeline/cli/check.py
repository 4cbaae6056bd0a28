"""``impartial check``: an employee's self-check of a draft, in the CLI's language.

The model is loaded inside the command (``impartial --help`` stays fast), and by default kept
loaded in a background process for the next checks (``pipeline.cli.warm_check``).
"""

from __future__ import annotations

import json

import typer
from rich.markup import escape
from rich.table import Table

from pipeline import i18n, labels
from pipeline.cli import warm_check
from pipeline.cli.common import console, database_errors, err, fail
from pipeline.i18n import _
from pipeline.vocabulary import SENIORITY_BANDS


def check(
    text: str = typer.Argument(..., help="The draft post."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    audience: int = typer.Option(None, "--audience", min=0, help="Followers who would see it."),
    seniority: str = typer.Option(None, "--seniority", help=", ".join(SENIORITY_BANDS)),
    lang: str = typer.Option(
        None,
        "--lang",
        help="Language of the questions and descriptions: en or fr (default: the CLI's, from "
        "IMPARTIAL_LANG or the locale).",
    ),
    keep_warm: bool = typer.Option(
        None,
        "--keep-warm/--no-keep-warm",
        help="Keep the model loaded in a background process for 10 minutes after a check, so "
        "the next one answers in a second or two (the default of the impartial program); "
        "--no-keep-warm loads it in this process and starts nothing.",
    ),
) -> None:
    """Check a draft before posting. Stores nothing, and nothing about the text is logged.

    The first check loads the model (about half a minute); later ones within 10 minutes ask
    the background process that keeps it loaded.

    Example: impartial check "Vote for my candidate! Views are my own." --audience 2000
    """
    if lang is not None and i18n.normalize(lang) is None:
        raise fail(_("--lang: %(lang)r is not en or fr") % {"lang": lang})
    lang = i18n.normalize(lang) or i18n.current()
    request = {"text": text, "audience": audience, "seniority": seniority, "lang": lang}
    result = None
    if warm_check.enabled if keep_warm is None else keep_warm:
        with err.status(_("checking the draft")):
            try:
                result = warm_check.ask(request)
            except warm_check.WarmCheckRefused as exc:
                raise fail(str(exc)) from None
    if result is None:
        with database_errors():
            result = warm_check.run_check(text, audience=audience, seniority=seniority, lang=lang)
    if as_json:
        print(json.dumps(result))
        return
    _print_check(result)


def _print_check(result: dict) -> None:
    flagged = ", ".join(labels.label(c) for c in result["flagged"]) or _("nothing")
    console.print(
        "[bold]"
        + escape(_("risk %(risk).2f") % {"risk": result["risk"]})
        + "[/]  "
        + escape(_("flagged: %(categories)s") % {"categories": flagged}),
        markup=True,
    )
    table = Table(
        _("category"), _("score"), _("threshold"), _("matched terms"), _("nearest exemplar")
    )
    for item in result["categories"]:
        detail = result["explanation"]["categories"][item["category"]]
        near = detail["nearest_exemplars"][0]
        table.add_row(
            labels.label(item["category"]),
            f"{item['score']:.2f}",
            f"{item['threshold']:.2f}",
            ", ".join(detail["matched_terms"][:5]),
            f"{near['text'][:60]} ({near['similarity']:.2f})",
        )
    console.print(table)
    for name, f in result["factors"].items():
        console.print(
            "  "
            + _("%(factor)s: %(value)s  (%(contribution)+.2f log-odds)")
            % {
                "factor": labels.label(name),
                "value": _("not given") if f["value"] is None else labels.label(f["value"]),
                "contribution": f["contribution"],
            }
        )
    if result["explanation"].get("disclaimer_stripped"):
        console.print(
            _(
                "A disclaimer such as 'views are my own' was set aside before scoring: "
                "the guidance says it does not remove the risk."
            )
        )
    console.print(_("Ask yourself:"))
    for q in result["questions"]:
        console.print(f"  - {q}")


def register(app: typer.Typer) -> None:
    app.command("check")(check)
