"""The registry CLI as a new user meets it: clear errors, exit code 2, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from pipeline.cli import app

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args))


def count(engine: sa.Engine, table: str) -> int:
    with engine.connect() as conn:
        return conn.scalar(sa.text(f"SELECT count(*) FROM {table}"))


@pytest.fixture
def ana(engine: sa.Engine) -> sa.Engine:
    result = invoke(
        "people",
        "add",
        "ana@example.org",
        "--name",
        "Ana Roy",
        "--org-unit",
        "Policy",
        "--seniority",
        "manager",
    )
    assert result.exit_code == 0, result.output
    return engine


def test_happy_path_registers_people_accounts_and_consent(ana: sa.Engine) -> None:
    assert (
        invoke(
            "accounts",
            "add",
            "--platform",
            "mastodon",
            "--handle",
            "@ana@social.example",
            "--kind",
            "personal",
            "--owner",
            "ana@example.org",
        ).exit_code
        == 0
    )
    result = invoke("consent", "grant", "ana@example.org", "--evidence", "form 7", "--days", "365")
    assert result.exit_code == 0 and "granted" in result.output
    listing = invoke("consent", "list")
    assert "active" in listing.output and "form 7" in listing.output
    assert "ana@social.example" in invoke("accounts", "list", "--json").output
    assert "P-" in invoke("people", "list").output
    result = invoke("consent", "withdraw", "ana@example.org")
    assert result.exit_code == 0, result.output
    assert "withdrawn" in invoke("consent", "list", "ana@example.org", "--json").output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            (
                "accounts",
                "add",
                "--platform",
                "friendster",
                "--handle",
                "x",
                "--kind",
                "official",
                "--org-unit",
                "U",
            ),
            "unknown platform",
        ),
        (
            (
                "accounts",
                "add",
                "--platform",
                "mastodon",
                "--handle",
                "@bad handle@x.example",
                "--kind",
                "official",
                "--org-unit",
                "U",
            ),
            "malformed Mastodon handle",
        ),
        (
            (
                "accounts",
                "add",
                "--platform",
                "rss",
                "--handle",
                "not-a-url",
                "--kind",
                "official",
                "--org-unit",
                "U",
            ),
            "malformed feed URL",
        ),
        (
            (
                "accounts",
                "add",
                "--platform",
                "mastodon",
                "--handle",
                "@me@x.example",
                "--kind",
                "personal",
            ),
            "needs an owner",
        ),
        (("consent", "grant", "nobody@example.org", "--evidence", "form"), "no person registered"),
        (
            ("consent", "grant", "ana@example.org", "--evidence", "f", "--expires", "someday"),
            "is not a date",
        ),
        (("people", "add", "not-an-email", "--name", "X", "--org-unit", "U"), "invalid email"),
        (
            (
                "people",
                "add",
                "bo@example.org",
                "--name",
                "Bo",
                "--org-unit",
                "U",
                "--seniority",
                "emperor",
            ),
            "unknown seniority band",
        ),
        (
            ("people", "add", "ana@example.org", "--name", "Ana", "--org-unit", "U"),
            "already registered",
        ),
        (("accounts", "deactivate", "999"), "no account with id 999"),
    ],
)
def test_bad_input_gets_a_clear_error_exit_2_and_writes_nothing(
    ana: sa.Engine, args: tuple[str, ...], message: str
) -> None:
    before = {t: count(ana, t) for t in ("person", "account", "consent", "audit_event")}
    result = invoke(*args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert {t: count(ana, t) for t in before} == before


def test_duplicate_account_is_refused(ana: sa.Engine) -> None:
    args = (
        "accounts",
        "add",
        "--platform",
        "bluesky",
        "--handle",
        "dept.example.org",
        "--kind",
        "official",
        "--org-unit",
        "Comms",
    )
    assert invoke(*args).exit_code == 0
    result = invoke(*args)
    assert result.exit_code == 2 and "already registered" in result.output
    assert count(ana, "account") == 1


def test_csv_import_with_a_bad_row_names_the_line_and_imports_nothing(
    ana: sa.Engine, tmp_path: Path
) -> None:
    csv_file = tmp_path / "accounts.csv"
    csv_file.write_text(
        "platform,handle,kind,owner,org_unit\n"
        "mastodon,@dept@gov.example,official,,Comms\n"
        "mastodon,@ana@social.example,personal,ana@example.org,\n"
        "mastodon,@orphan@social.example,personal,,\n"
    )
    result = invoke("accounts", "import", str(csv_file))
    assert result.exit_code == 2
    assert "line 4" in result.output and "needs an owner" in result.output
    assert count(ana, "account") == 0

    csv_file.write_text("\n".join(csv_file.read_text().splitlines()[:3]) + "\n")
    result = invoke("accounts", "import", str(csv_file))
    assert result.exit_code == 0, result.output
    assert count(ana, "account") == 2


def test_missing_csv_file_is_a_clear_error(ana: sa.Engine, tmp_path: Path) -> None:
    result = invoke("accounts", "import", str(tmp_path / "nope.csv"))
    assert result.exit_code == 2 and "cannot read" in result.output


def test_db_url_and_status_describe_the_database_in_use(engine: sa.Engine) -> None:
    url = invoke("db", "url")
    assert url.exit_code == 0 and url.output.startswith("postgresql://")
    status = invoke("db", "status")
    assert status.exit_code == 0, status.output
    assert "pgvector" in status.output and "head" in status.output
