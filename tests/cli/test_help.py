"""Every command is documented, with an example (sqlite-utils' habit)."""

from __future__ import annotations

import typer.main

from pipeline.cli import app


def _commands(group, prefix: tuple[str, ...] = ()):
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from _commands(command, (*prefix, name))
        else:
            yield (*prefix, name), command


def test_every_command_has_help_with_an_example() -> None:
    root = typer.main.get_command(app)
    commands = list(_commands(root))
    assert len(commands) >= 12
    undocumented = [
        " ".join(path)
        for path, command in commands
        if not command.help or "Example: " not in command.help
    ]
    assert undocumented == []


def test_no_two_modules_register_the_same_command_name() -> None:
    names = [g.name for g in app.registered_groups] + [
        c.name or c.callback.__name__ for c in app.registered_commands
    ]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
