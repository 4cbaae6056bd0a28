"""``impartial users`` and ``impartial queue`` through the real CLI and database."""

from __future__ import annotations

import json

from sqlalchemy import select
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.db.models import AppUser, AuditEvent, Review
from pipeline.review.users import authenticate

runner = CliRunner()


def run(*args: str, input: str | None = None):
    return runner.invoke(app, list(args), input=input)


def test_users_add_reads_the_password_from_stdin_and_stores_an_argon2_hash(db, make) -> None:
    person = make.person()
    db.commit()
    result = run(
        "users",
        "add",
        "Rae@Example.org",
        "--role",
        "reviewer",
        "--person",
        person.email,
        "--password-stdin",
        input="a long enough secret\n",
    )
    assert result.exit_code == 0, result.output
    user = db.scalar(select(AppUser))
    assert (user.email, user.role, user.person_id) == ("rae@example.org", "reviewer", person.id)
    assert user.password_hash.startswith("$argon2id$")
    assert authenticate(db, "rae@example.org", "a long enough secret") is not None
    assert "rae@example.org" in run("users", "list").output


def test_users_add_refuses_bad_input_with_a_message(db) -> None:
    short = run(
        "users", "add", "a@example.org", "--role", "auditor", "--password-stdin", input="short\n"
    )
    assert short.exit_code == 2 and "at least 12 characters" in short.output
    role = run(
        "users",
        "add",
        "a@example.org",
        "--role",
        "boss",
        "--password-stdin",
        input="a long enough secret\n",
    )
    assert role.exit_code == 2 and "unknown role" in role.output
    employee = run(
        "users",
        "add",
        "e@example.org",
        "--role",
        "employee",
        "--password-stdin",
        input="a long enough secret\n",
    )
    assert employee.exit_code == 2 and "--person" in employee.output


def test_queue_next_decide_and_release_from_the_shell(db, make) -> None:
    first = make.flag(risk=0.9, text="Vote for the Purple Party")
    second = make.flag(risk=0.5)
    reviewer = make.user("reviewer")
    db.commit()
    assert "queued 2" in run("queue", "stats").output
    shown = run("queue", "next", "--as", reviewer.email)
    assert shown.exit_code == 0 and f"Item {first.id}" in shown.output
    assert "Vote for the Purple Party" in shown.output
    decided = run(
        "queue",
        "decide",
        str(first.id),
        "--decision",
        "advise",
        "--clause",
        "partisan",
        "--rationale",
        "Endorses a party",
        "--as",
        reviewer.email,
    )
    assert decided.exit_code == 0, decided.output
    assert db.scalar(select(Review.decision)) == "advise"
    assert f"Item {second.id}" in run("queue", "next", "--as", reviewer.email).output
    assert run("queue", "release", str(second.id), "--as", reviewer.email).exit_code == 0
    refused = run(
        "queue",
        "decide",
        str(second.id),
        "--decision",
        "advise",
        "--clause",
        "partisan",
        "--rationale",
        "x",
        "--as",
        reviewer.email,
    )
    # a released flag is no longer the reviewer's: it answers as a missing one does
    assert refused.exit_code == 2 and "claim the next flag" in refused.output
    actions = db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == [
        "flag.claim",
        "flag.view",
        "flag.decide",
        "flag.claim",
        "flag.view",
        "flag.release",
    ]


def test_queue_next_shows_the_item_in_words_and_json_on_request(db, make) -> None:
    post = make.post(make.account(make.person()), "Vote Purple, you useless idiots")
    partisan = make.flag(post, category="partisan", risk=0.9)
    make.flag(post, category="vulgar", risk=0.7)
    reviewer = make.user("reviewer")
    db.commit()
    shown = run("queue", "next", "--as", reviewer.email)
    assert shown.exit_code == 0, shown.output
    words = " ".join(shown.output.split())  # the console folds long lines
    assert f"Item {partisan.id}: a post by P-" in words
    assert "Flagged for: Partisan political activity (score 0.90), Vulgar or offensive" in words
    assert "Risk: High risk (0.90 out of 1)" in words
    assert "Vote Purple, you useless idiots" in words
    assert "Vulgar or offensive language: Is the language vulgar" in words
    assert "{" not in words  # words, not raw data
    again = run("queue", "next", "--json", "--as", reviewer.email)  # the same held item
    item = json.loads(again.output)
    assert item["id"] == partisan.id
    assert [c["category"] for c in item["categories"]] == ["partisan", "vulgar"]
    assert [q["category"] for q in item["questions"]] == ["partisan", "vulgar"]
    decided = run(
        "queue",
        "decide",
        str(partisan.id),
        "-d",
        "no_concern",
        "--category",
        "vulgar=advise",
        "-m",
        "The insult",
        "--as",
        reviewer.email,
    )
    assert decided.exit_code == 0, decided.output
    assert sorted(db.scalars(select(Review.decision)).all()) == ["advise", "no_concern"]
    undone = run("queue", "undo", str(partisan.id), "--as", reviewer.email)
    assert undone.exit_code == 0 and "yours again" in undone.output
    assert db.scalars(select(Review.decision)).all() == []
    bad = run("queue", "decide", str(partisan.id), "-d", "advise", "--as", reviewer.email)
    assert bad.exit_code == 2 and "write a rationale" in bad.output


def test_every_new_command_documents_an_example() -> None:
    import typer.main

    group = typer.main.get_command(app)
    for name in ("users", "queue"):
        for sub_name, sub in group.commands[name].commands.items():
            assert "Example: impartial" in (sub.help or ""), f"{name} {sub_name}"
    assert "Example: impartial serve" in group.commands["serve"].help


def test_queue_decide_refuses_a_clause_the_item_was_not_flagged_for(db, make) -> None:
    flag = make.flag(risk=0.9, category="vulgar", text="A rude word")
    reviewer = make.user("reviewer")
    db.commit()
    assert run("queue", "next", "--as", reviewer.email).exit_code == 0
    args = ["queue", "decide", str(flag.id), "-d", "advise", "-m", "Rude", "--as", reviewer.email]
    refused = run(*args, "--clause", "partisan")
    assert refused.exit_code == 2 and "--other-clause" in refused.output
    assert db.scalar(select(Review.id)) is None
    assert run(*args, "--clause", "partisan", "--other-clause").exit_code == 0
    assert db.scalar(select(Review.clause)) == "partisan"
