"""The ``impartial`` command line: a thin shell over the pipeline's functions.

Each module of this package that defines ``register(app)`` adds its commands; the modules are
found at import, so a new command group is one new module.
"""

from __future__ import annotations

import importlib
import pkgutil

import typer

app = typer.Typer(
    name="impartial",
    help=(
        "Opt-in social media impartiality monitoring: registry and consent, scans, "
        "classification, human review, privacy and reports.\n\n"
        "Example: impartial db upgrade && impartial people add ana@example.org "
        "--name 'Ana Roy' --org-unit 'Policy Branch'"
    ),
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_show_locals=False,
)

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    if _module.startswith("_") or _module == "common":
        continue
    _mod = importlib.import_module(f"{__name__}.{_module}")
    if hasattr(_mod, "register"):
        _mod.register(app)


def main() -> None:
    app()
