"""``impartial queue``: the review queue from a shell, as a named reviewer.

``next`` shows the item as the web page does, in words: the post once, its categories, the
question of each in the post's language, the risk and what it means; ``--json`` gives the same
view for scripts.
"""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.table import Table

from pipeline import review as q
from pipeline.classify.guidance.questions import reviewer_questions
from pipeline.cli.common import console, fail, session
from pipeline.db.models import Flag
from pipeline.i18n import _
from pipeline.labels import label
from pipeline.review.clauses import clause_mismatch
from pipeline.review.decisions import CLAUSES, REVIEW_DECISIONS
from pipeline.review.items import post_flags
from pipeline.review.users import user_by_email
from pipeline.review.views import FlagView
from pipeline.web.times import local_text

queue = typer.Typer(
    help="Review queue: stats, claim the next item, decide, undo, release.", no_args_is_help=True
)
AS = typer.Option(..., "--as", help="Email of the reviewer (an app user) acting.")


@queue.command("stats")
def stats(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Queued flags by category and age, claimed and escalated counts (and in posts).

    Example: impartial queue stats
    """
    with session() as uow:
        data = q.queue_stats(uow.session)
    if as_json:
        console.print_json(json.dumps(data))
        return
    console.print(
        _("queued %(queued)s · claimed %(claimed)s · escalated %(escalated)s") % data
        + " "
        + _("(flags; in posts: %(q)s · %(c)s · %(e)s)")
        % {"q": data["items_queued"], "c": data["items_claimed"], "e": data["items_escalated"]}
    )
    table = Table(_("category"), *(_(data["age_labels"][b]) for b in data["age_buckets"]))
    for category, buckets in sorted(data["by_category"].items()):
        table.add_row(label(category), *(str(buckets[b]) for b in data["age_buckets"]))
    console.print(table)


def _readable(view: FlagView, questions: list[dict[str, Any]]) -> list[str]:
    """The item in words, line by line (the post's text as it is written)."""
    who = (
        _("official account (%(unit)s)") % {"unit": view.org_unit}
        if view.account_kind == "official"
        else _("%(pseudonym)s (%(unit)s, %(band)s)")
        % {
            "pseudonym": view.pseudonym,
            "unit": view.org_unit or "-",
            "band": label(view.seniority_band) or "-",
        }
    )
    audience = (
        _("%(n)s followers") % {"n": view.audience_size}
        if view.audience_size is not None
        else _("audience unknown")
    )
    categories = ", ".join(
        f"{label(c['category'])} ({_('score')} {c['score']:.2f})" for c in view.categories
    )
    lines = [
        _("Item %(id)s: a post by %(who)s, %(audience)s, on %(platform)s, published %(when)s")
        % {
            "id": view.id,
            "who": who,
            "audience": audience,
            "platform": label(view.platform),
            "when": local_text(view.published_at),
        },
        _("Flagged for: %(categories)s") % {"categories": categories},
        _(
            "Risk: %(level)s (%(risk).2f out of 1): how likely a reasonable person would doubt the "
            "author's impartiality, from the strongest score and the context."
        )
        % {"level": label(view.risk_level), "risk": view.risk},
        "",
        view.text if view.text is not None else _("(text removed under the retention rules)"),
        "",
    ]
    for question in questions:
        lines.append(f"{label(question['category'])}: {question['question']}")
    summary = (view.explanation or {}).get("summary")
    if summary:
        lines.append(_("Why it was flagged: %(summary)s") % {"summary": summary})
    return lines


@queue.command("next")
def next_(
    reviewer: str = AS,
    another: bool = typer.Option(
        False, "--another", help="Claim a new item even while you hold one."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the item as JSON."),
) -> None:
    """Show the item you hold, else claim the next one (highest risk, then oldest: a post
    with every flagged category) and show it.

    Example: impartial queue next --as rae@example.org
    """
    with session() as uow:
        user = user_by_email(uow.session, reviewer)
        flag = q.claim_next(uow.session, user, another=another)
        if flag is None:
            uow.commit()
            console.print(_("nothing to claim"))
            return
        view = q.view_flag(uow.session, flag.id, user)
        uow.commit()
    questions = reviewer_questions([c["category"] for c in view.categories], view.lang)
    if as_json:
        console.print_json(json.dumps({**view.as_dict(), "questions": questions}, default=str))
        return
    for line in _readable(view, questions):
        console.print(line, highlight=False)
    console.print(
        _(
            "Decide: impartial queue decide %(id)s -d no_concern|advise|escalate -m RATIONALE "
            "--as %(email)s"
        )
        % {"id": view.id, "email": reviewer},
        highlight=False,
    )


def _per_category(values: list[str]) -> dict[str, str]:
    out = {}
    for value in values:
        category, sep, decision = value.partition("=")
        if not sep or not category or not decision:
            raise fail(
                _("--category takes CATEGORY=DECISION, e.g. vulgar=advise (not %(value)r)")
                % {"value": value}
            )
        out[category.strip()] = decision.strip()
    return out


@queue.command("decide")
def decide(
    flag_id: int = typer.Argument(..., help="A flag of the item you hold (as `next` shows)."),
    decision: str = typer.Option(
        ..., "--decision", "-d", help="For every category: " + ", ".join(REVIEW_DECISIONS)
    ),
    rationale: str = typer.Option(
        "",
        "--rationale",
        "-m",
        help="Why, in a sentence: needed to advise or escalate. The employee reads it.",
    ),
    clause: str | None = typer.Option(
        None,
        "--clause",
        "-c",
        help="Guidance clause for every category (default: each its own): " + ", ".join(CLAUSES),
    ),
    category: list[str] = typer.Option(
        [], "--category", help="A different decision for one category: CATEGORY=DECISION."
    ),
    other_clause: bool = typer.Option(
        False,
        "--other-clause",
        help="Record a --clause that names none of the item's categories (refused otherwise).",
    ),
    reviewer: str = AS,
) -> None:
    """Record one decision on the item you hold: one review per flag; it covers the flags'
    cross-posted copies. It can be undone for two minutes (`impartial queue undo`).

    Example: impartial queue decide 42 -d advise -m "Names a party" --as rae@example.org
    """
    overrides = _per_category(category)
    with session() as uow:
        user = user_by_email(uow.session, reviewer)
        flag = uow.session.get(Flag, flag_id)
        if flag is not None and not other_clause:
            flagged = [f.category for f in post_flags(uow.session, flag.post_id)]
            mismatch = clause_mismatch(flagged, clause, decision)
            if mismatch:
                raise fail(mismatch + _(" (add --other-clause if you mean it)"))
        reviews = q.decide(
            uow.session,
            flag_id,
            user,
            decision=decision,
            clause=clause,
            rationale=rationale,
            categories=overrides,
        )
        uow.commit()
    console.print(
        _("decision recorded on %(n)s flag(s): %(ids)s")
        % {
            "n": len(reviews),
            "ids": ", ".join(f"{r.flag_id} ({label(r.decision)})" for r in reviews),
        }
    )


@queue.command("undo")
def undo(
    flag_id: int = typer.Argument(..., help="A flag of the item you decided."), reviewer: str = AS
) -> None:
    """Undo your decision on an item, within two minutes of it: the item is yours again.

    Example: impartial queue undo 42 --as rae@example.org
    """
    with session() as uow:
        flags = q.undo_decision(uow.session, flag_id, user_by_email(uow.session, reviewer))
        uow.commit()
    console.print(
        _("decision undone: flags %(ids)s are yours again")
        % {"ids": ", ".join(str(f.id) for f in flags)}
    )


@queue.command("release")
def release(
    flag_id: int = typer.Argument(..., help="A flag of the item you hold."), reviewer: str = AS
) -> None:
    """Give the item you hold back to the queue.

    Example: impartial queue release 42 --as rae@example.org
    """
    with session() as uow:
        q.release(uow.session, flag_id, user_by_email(uow.session, reviewer))
        uow.commit()
    console.print(_("released item %(id)s") % {"id": flag_id})


def register(app: typer.Typer) -> None:
    app.add_typer(queue, name="queue")
