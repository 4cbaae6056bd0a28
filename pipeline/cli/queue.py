"""``impartial queue``: the review queue from a shell, as a named reviewer."""

from __future__ import annotations

import json

import typer
from rich.markup import escape
from rich.table import Table

from pipeline import review as q
from pipeline.cli.common import console, session
from pipeline.review.decisions import CLAUSES, REVIEW_DECISIONS
from pipeline.review.users import user_by_email

queue = typer.Typer(help="Review queue: stats, claim next, decide, release.", no_args_is_help=True)
AS = typer.Option(..., "--as", help="Email of the reviewer (an app user) acting.")


@queue.command("stats")
def stats(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Queued flags by category and age, claimed and escalated counts.

    Example: impartial queue stats
    """
    with session() as uow:
        data = q.queue_stats(uow.session)
    if as_json:
        console.print_json(json.dumps(data))
        return
    console.print(
        f"queued {data['queued']} · claimed {data['claimed']} · escalated {data['escalated']}"
    )
    table = Table("category", *data["age_buckets"])
    for category, buckets in sorted(data["by_category"].items()):
        table.add_row(category, *(str(buckets[b]) for b in data["age_buckets"]))
    console.print(table)


@queue.command("next")
def next_(reviewer: str = AS) -> None:
    """Claim the next flag (highest risk, then oldest) and show its blind view.

    Example: impartial queue next --as rae@example.org
    """
    with session() as uow:
        user = user_by_email(uow.session, reviewer)
        flag = q.claim_next(uow.session, user)
        if flag is None:
            uow.commit()
            console.print("nothing to claim")
            return
        view = q.view_flag(uow.session, flag.id, user)
        uow.commit()
    console.print(
        f"[bold]flag {view.id}[/] "
        + escape(
            f"{view.category} risk {view.risk:.2f} ({view.pseudonym}, {view.org_unit}, "
            f"{view.seniority_band or '-'}, audience {view.audience_size})"
        ),
        highlight=False,
        markup=True,
    )
    console.print(view.text or "(text removed)", markup=False, highlight=False)
    console.print(f"explanation: {json.dumps(view.explanation)}", markup=False)


@queue.command("decide")
def decide(
    flag_id: int = typer.Argument(..., help="The flag you hold."),
    decision: str = typer.Option(..., "--decision", "-d", help=", ".join(REVIEW_DECISIONS)),
    clause: str = typer.Option(..., "--clause", "-c", help=", ".join(CLAUSES)),
    rationale: str = typer.Option(..., "--rationale", "-m", help="Why, in a sentence."),
    reviewer: str = AS,
) -> None:
    """Record a decision on a flag you hold; it covers the flag's cross-posted copies.

    Example: impartial queue decide 42 -d advise -c partisan -m "Names a party" --as rae@example.org
    """
    with session() as uow:
        user = user_by_email(uow.session, reviewer)
        reviews = q.decide(
            uow.session, flag_id, user, decision=decision, clause=clause, rationale=rationale
        )
        uow.commit()
    console.print(
        f"{decision} recorded on {len(reviews)} flag(s): "
        f"{', '.join(str(r.flag_id) for r in reviews)}"
    )


@queue.command("release")
def release(
    flag_id: int = typer.Argument(..., help="The flag you hold."), reviewer: str = AS
) -> None:
    """Give a claimed flag back to the queue.

    Example: impartial queue release 42 --as rae@example.org
    """
    with session() as uow:
        q.release(uow.session, flag_id, user_by_email(uow.session, reviewer))
        uow.commit()
    console.print(f"released flag {flag_id}")


def register(app: typer.Typer) -> None:
    app.add_typer(queue, name="queue")
