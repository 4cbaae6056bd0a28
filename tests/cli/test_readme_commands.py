"""The README's commands are written as they run: ``./impartial ...`` from the checkout, each
naming a command that exists with options it takes (and ``./impartial`` itself works)."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import typer.main
from typer.exceptions import TyperException

from pipeline.cli import app

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
PROGRAM = "./impartial"


def code_block_lines(markdown: str) -> list[str]:
    """The lines of the shell code blocks, continuation lines joined."""
    lines, inside, language = [], False, ""
    for line in markdown.splitlines():
        stripped = line.strip()
        if stripped.startswith("```"):
            inside, language = not inside, stripped[3:].strip()
            continue
        if inside and language in ("sh", "bash", ""):
            if lines and lines[-1].endswith("\\"):
                lines[-1] = lines[-1][:-1] + " " + stripped
            else:
                lines.append(stripped)
    return lines


def readme_commands(markdown: str = README) -> list[list[str]]:
    """Each ``impartial`` command of the README's code blocks as its words, read as the shell
    reads them: comments and redirections dropped, pipelines, lists and ``$(...)`` split into
    their commands; ``[optional]`` parts kept as written."""
    commands = []
    for line in code_block_lines(markdown):
        lexer = shlex.shlex(
            line.replace("[", " ").replace("]", " "), posix=True, punctuation_chars=True
        )
        lexer.whitespace_split = True
        words: list[str] = []
        redirected = False
        for token in [*lexer, ";"]:
            if token in (">", ">>", "<", "2>"):
                redirected = True
            elif set(token) <= set("|;&()"):
                if words[:1] == ["time"]:
                    words = words[1:]
                if words and words[0].split("$")[-1].endswith("impartial"):
                    words[0] = words[0].split("$")[-1]
                    commands.append(words)
                words, redirected = [], False
            elif redirected:
                redirected = False  # the file
            else:
                words.append(token)
    return commands


@cache
def root_command() -> Any:
    return typer.main.get_command(app)


def parse(words: list[str]) -> str | None:
    """Why ``words`` (after the program) do not parse as a command, or None when they do:
    the command path exists, every option is one it takes (with its value), no argument is
    missing or left over, and no required option is missing. Values are not converted
    (a file need not exist)."""
    command = root_command()
    args, path = list(words), []
    while hasattr(command, "commands") and args and not args[0].startswith("-"):
        name = args.pop(0)
        if name not in command.commands:
            return f"no command {' '.join([*path, name])!r}"
        path.append(name)
        command = command.commands[name]
    where = " ".join(path) or "impartial"
    if hasattr(command, "commands"):
        return f"{where} needs a subcommand"
    context = command.context_class(command, info_name=where)
    try:
        values, positional, _order = command.make_parser(context).parse_args(args)
    except TyperException as exc:
        return f"{where}: {exc.format_message()}"
    if positional:
        return f"{where}: unexpected arguments {positional}"
    missing = [
        p.name
        for p in command.params
        if p.param_type_name in ("argument", "option")
        and p.required
        and values.get(p.name) in (None, ())
    ]
    return f"{where}: missing {missing}" if missing else None


def test_every_readme_command_is_run_through_the_wrapper() -> None:
    programs = {words[0] for words in readme_commands()}
    assert programs == {PROGRAM}, "write README commands as ./impartial ..."
    assert len(readme_commands()) >= 30


def test_every_readme_command_names_a_command_with_the_options_it_takes() -> None:
    problems = {" ".join(words): why for words in readme_commands() if (why := parse(words[1:]))}
    assert problems == {}


def test_the_parse_check_catches_unknown_names_options_and_missing_values() -> None:
    assert parse(["db", "upgrade"]) is None
    assert "no such option" in parse(["db", "status", "--colour"]).lower()
    assert "unexpected" in parse(["consent", "list", "a@example.org", "b@example.org"])
    assert "missing ['flag_id']" in parse(["queue", "decide", "-d", "advise", "--as", "x@ex.org"])
    assert "missing ['role']" in parse(["users", "add", "x@example.org"])
    assert "no command 'nothing'" in parse(["nothing"])
    assert "needs a subcommand" in parse(["db"])


def test_continuations_comments_and_pipes_are_read_as_the_shell_reads_them() -> None:
    markdown = (
        "```sh\n"
        "./impartial eval a.jsonl --map x=y \\\n    --map z=none   # comment\n"
        './impartial export decisions > out.jsonl\npsql "$(impartial db url)"\n'
        "ID=$(./impartial queue next --as a@b.example --json | python3 -c 'print(1)')\n"
        "```\n"
    )
    assert readme_commands(markdown) == [
        ["./impartial", "eval", "a.jsonl", "--map", "x=y", "--map", "z=none"],
        ["./impartial", "export", "decisions"],
        ["./impartial", "queue", "next", "--as", "a@b.example", "--json"],
    ]


def test_the_wrapper_runs_the_virtualenvs_program_from_any_folder(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(ROOT / "impartial"), "check", "--help"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "Usage: impartial check" in done.stdout


def test_the_wrapper_says_to_run_make_install_when_there_is_no_virtualenv(tmp_path: Path) -> None:
    shutil.copy(ROOT / "impartial", tmp_path / "impartial")
    done = subprocess.run(
        [str(tmp_path / "impartial"), "--help"],
        capture_output=True,
        text=True,
        timeout=10,
        env={"PATH": os.environ["PATH"]},
    )
    assert done.returncode == 127
    assert "run 'make install' first" in done.stderr
    assert done.stdout == ""
