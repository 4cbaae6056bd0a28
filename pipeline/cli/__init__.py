"""The ``impartial`` command line: a thin shell over the pipeline's functions.

Each module of this package that defines ``register(app)`` adds its commands; the modules are
found when ``app`` is first used, so a new command group is one new module. Human output is in
the language of ``IMPARTIAL_LANG`` or the locale (English or French); help texts are English.

``impartial check`` alone skips importing every other command (about 2 s on 2 cores): it
answers from a model kept warm in about half a second (``pipeline.cli.warm_check``).
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from typing import Any

import typer

from pipeline import i18n

HELP = (
    "Opt-in social media impartiality monitoring: registry and consent, scans, "
    "classification, human review, privacy and reports.\n\n"
    "Example: impartial db upgrade && impartial people add ana@example.org "
    "--name 'Ana Roy' --org-unit 'Policy Branch'"
)
NOT_COMMANDS = {"common", "warm_check"}


def _language(ctx: typer.Context) -> None:
    # Human output follows IMPARTIAL_LANG, else the locale; reset when the command ends, so
    # code that runs the app in its own process (tests) keeps its language.
    ctx.with_resource(i18n.use_lang(i18n.from_environment()))


def new_app(*modules: str) -> typer.Typer:
    """The command line with the commands of ``modules`` (default: every module here)."""
    app = typer.Typer(
        name="impartial",
        help=HELP,
        no_args_is_help=True,
        rich_markup_mode="rich",
        pretty_exceptions_show_locals=False,
    )
    app.callback()(_language)
    names = modules or sorted(
        m.name
        for m in pkgutil.iter_modules(__path__)
        if not m.name.startswith("_") and m.name not in NOT_COMMANDS
    )
    for name in names:
        module = importlib.import_module(f"{__name__}.{name}")
        if hasattr(module, "register"):
            module.register(app)
    return app


def __getattr__(name: str) -> Any:
    if name == "app":  # built on first use, with every command
        globals()["app"] = built = new_app()
        return built
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    """The ``impartial`` program; its ``check`` keeps the model warm between runs."""
    warm_check = importlib.import_module(f"{__name__}.warm_check")
    warm_check.enabled = True
    if sys.argv[1:2] == ["check"]:
        new_app("check")()
    else:
        new_app()()
