"""``impartial export``: data leaving the system (access requests, decisions). Files are
written with mode 0600 (their owner only).

The decisions export imports the classifier inside its command (``impartial --help`` stays
fast).
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from pipeline.audit.outputs import write_private
from pipeline.audit.trail import cli_actor, record
from pipeline.cli.common import console, err, fail, session
from pipeline.i18n import _
from pipeline.privacy import access_request

export = typer.Typer(
    help="Exports: a person's data (access request), reviewer decisions (training).",
    no_args_is_help=True,
)


@export.command("person")
def person(
    email: str = typer.Argument(..., help="The person making the access request."),
    out: Path | None = typer.Option(None, "--out", help="Write to this file (default: stdout)."),
) -> None:
    """Export everything held about a person as JSON (the export is audited).

    Example: impartial export person ana.roy@example.org --out ana-roy.json
    """
    with session() as uow:
        data = access_request.export_person(uow.session, email, actor=cli_actor())
        document = json.dumps(data, indent=2, ensure_ascii=False)
        if out is not None:
            _write(out, document + "\n")
        uow.commit()
    if out is None:
        print(document)
    else:
        counts = ", ".join(f"{len(v)} {k}" for k, v in data.items() if isinstance(v, list))
        console.print(_("wrote %(path)s: %(counts)s") % {"path": out, "counts": counts})


@export.command("decisions")
def export_decisions(
    output: Path = typer.Option(None, "--output", "-o", help="File to write (default stdout)."),
) -> None:
    """Write reviewer decisions as JSONL (text, label) for 'impartial train'.

    A post's label is the category a reviewer upheld (advise, escalate, refer: the clause the
    decision names) on its highest-scoring flag, else none when reviewers found no concern.

    Example: impartial export decisions -o decisions.jsonl
    """
    from pipeline.classify.versions import export_decisions as rows_of

    with session() as uow:
        rows = rows_of(uow.session)
        record(uow.session, "decisions.export", actor=cli_actor(), rows=len(rows))
        uow.commit()
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    if output:
        _write(output, lines)
        err.print(_("wrote %(n)s rows to %(path)s") % {"n": len(rows), "path": output})
    else:
        print(lines, end="")


def _write(path: Path, content: str) -> None:
    """Write an export readable by its owner only (mode 0600), atomically."""
    try:
        write_private(path, content)
    except OSError as exc:
        raise fail(
            _("cannot write %(path)s: %(reason)s") % {"path": path, "reason": exc.strerror}
        ) from None


def register(app: typer.Typer) -> None:
    app.add_typer(export, name="export")
