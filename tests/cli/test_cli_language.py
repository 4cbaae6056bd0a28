"""The command line answers in the language of IMPARTIAL_LANG, else the locale: its errors,
the self-check, the demo's summary; and every message of these commands has French."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from typer.testing import CliRunner

from pipeline import i18n
from pipeline.cli import app
from pipeline.cli import check as check_cli
from pipeline.cli import demo as demo_cli
from pipeline.demo.summary import AccountLine, FlagLine, PersonLine, ScanSummary
from pipeline.locale.messages import missing
from tests.cli.test_warm_check import RESULT

OWN = ("cli/__init__.py", "cli/common.py", "cli/check.py", "cli/db.py", "cli/demo.py")
OWN += ("cli/serve.py", "cli/warm_check.py", "review/clauses.py", "demo/", "cli/accounts.py")
OWN += ("cli/airflow.py", "cli/audit.py", "cli/classifier.py", "cli/consent.py", "cli/export.py")
OWN += ("cli/hold.py", "cli/languages.py", "cli/report.py", "cli/retention.py", "cli/scan.py")
OWN += ("cli/users.py", "cli/fine_tuning.py")


@pytest.fixture
def lang_env(monkeypatch: pytest.MonkeyPatch):
    for name in ("IMPARTIAL_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_an_error_is_in_french_under_impartial_lang_fr_and_the_language_is_reset(
    lang_env: pytest.MonkeyPatch,
) -> None:
    lang_env.setenv("IMPARTIAL_LANG", "fr")
    result = CliRunner().invoke(app, ["check", "Bonjour", "--lang", "de"])
    assert result.exit_code == 2
    assert "erreur : --lang : 'de' n'est ni en ni fr" in result.output
    assert i18n.current() == "en"  # the command's language ended with it


def test_the_locale_chooses_when_impartial_lang_is_unset(lang_env: pytest.MonkeyPatch) -> None:
    lang_env.setenv("LANG", "fr_CA.UTF-8")
    assert "erreur :" in CliRunner().invoke(app, ["check", "x", "--lang", "xx"]).output
    lang_env.setenv("IMPARTIAL_LANG", "en")
    assert "error: --lang: 'xx' is not en or fr" in (
        CliRunner().invoke(app, ["check", "x", "--lang", "xx"]).output
    )


def test_the_self_check_speaks_french(capsys: pytest.CaptureFixture[str]) -> None:
    with i18n.use_lang("fr"):
        check_cli._print_check(RESULT)
    out = capsys.readouterr().out
    assert "risque 0.93" in out and "signalé : Activité politique partisane" in out
    assert "Posez-vous ces questions :" in out and "Auditoire : 5000" in out


@dataclass
class Run:
    run_id: str = "manual__1"
    state: str = "success"
    tasks: dict = field(default_factory=dict)


def test_the_demo_summary_speaks_french_and_never_puts_a_name_beside_a_pseudonym(
    capsys: pytest.CaptureFixture[str], lang_env: pytest.MonkeyPatch
) -> None:
    lang_env.setenv("COLUMNS", "250")
    report = ScanSummary(
        run=None,
        people=[PersonLine("Ana Roy", "ana@x.example", "Policy", "manager", "active", 1)],
        accounts=[AccountLine("Ana R.", "mastodon", "personal", True, 3, 3, 1)],
        flags=[
            FlagLine("P-1A2B3C", "Policy", "manager", "mastodon", "partisan", 0.9, "open", "Vote!")
        ],
    )
    with i18n.use_lang("fr"):
        demo_cli._print(report, Run())
    out = capsys.readouterr().out
    assert "Personnes du registre de démonstration" in out
    assert "Ce qui a été recueilli, évalué et signalé" in out
    assert "Signalements à examiner par une personne (1)" in out
    assert "en vigueur" in out and "Compte personnel" in out and "Ouvert" in out
    assert not [line for line in out.splitlines() if "P-1A2B3C" in line and "Ana" in line]


def test_consent_and_legal_holds_answer_in_french(lang_env: pytest.MonkeyPatch, db, make) -> None:
    person = make.person("Ana Roy")
    db.commit()
    lang_env.setenv("IMPARTIAL_LANG", "fr")
    lang_env.setenv("COLUMNS", "200")
    runner = CliRunner()

    granted = runner.invoke(app, ["consent", "grant", person.email, "--evidence", "PS-114"])
    held = runner.invoke(app, ["hold", "add", person.email, "--reason", "Grief 2026-114"])
    withdrawn = runner.invoke(app, ["consent", "withdraw", person.email])
    listed = runner.invoke(app, ["hold", "list"])
    both_dates = ["--evidence", "x", "--days", "3", "--expires", "2027-01-01"]
    both = runner.invoke(app, ["consent", "grant", person.email, *both_dates])

    assert f"accordé pour {person.email}" in granted.output and "jusqu'au retrait" in granted.output
    assert f"placée sur {person.email}" in held.output
    assert f"1 consentement(s) de {person.email} retiré(s)" in withdrawn.output
    assert "0 compte(s) purgé(s) : 0 publications supprimées" in withdrawn.output
    assert "placée par" in listed.output and "Grief 2026-114" in listed.output
    assert (
        both.exit_code == 2 and "erreur : donnez --expires ou --days, pas les deux" in both.output
    )
    assert i18n.current() == "en"


def test_a_dry_retention_run_and_the_report_list_answer_in_french(
    lang_env: pytest.MonkeyPatch, db
) -> None:
    lang_env.setenv("IMPARTIAL_LANG", "fr")
    lang_env.setenv("COLUMNS", "200")
    runner = CliRunner()

    dry = runner.invoke(app, ["retention", "run", "--dry-run"])
    reports = runner.invoke(app, ["report"])
    english = runner.invoke(app, ["retention", "run", "--dry-run"], env={"IMPARTIAL_LANG": "en"})

    assert dry.exit_code == 0, dry.output
    assert "serait supprimé" in dry.output and "comptes sans consentement (purgés)" in dry.output
    assert "essai à blanc : rien n'a été modifié" in dry.output
    assert "ce qu'il montre" in reports.output and "rapport" in reports.output
    assert "dry run: nothing was changed" in english.output and "would go" in english.output


def test_every_message_of_these_commands_has_french() -> None:
    lacking = {m: w for m, w in missing().items() if any(x in p for p in w for x in OWN)}
    assert lacking == {}
