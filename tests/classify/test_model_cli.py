"""With the real model (loaded once per session): the CLI's train/eval/check and the
self-check's promise to store nothing."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from pipeline.classify.selfcheck import check_text
from pipeline.cli import app
from pipeline.db.models import AuditEvent, Base
from tests.classify.test_versions import MAPS, labeled_file

pytestmark = pytest.mark.model
runner = CliRunner()

DRAFT = "Vote Conservative on election day, the Liberals are a disgrace! Views are my own."


def row_counts(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t.name: conn.scalar(sa.select(sa.func.count()).select_from(t))
            for t in Base.metadata.sorted_tables
        }


def test_check_stores_nothing_and_audits_no_text(engine, db, real_embedder, posts):
    before = row_counts(engine)
    result = runner.invoke(
        app, ["check", DRAFT, "--json", "--audience", "20000", "--seniority", "executive"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output.strip().splitlines()[-1])
    assert "partisan" in report["flagged"]
    assert report["risk"] > 0.5
    assert report["explanation"]["disclaimer_stripped"] is True
    assert report["questions"] and report["note"]
    assert row_counts(engine) == before
    details = [json.dumps(e.details) for e in db.scalars(sa.select(AuditEvent))]
    assert not any("Conservative" in d for d in details)


def test_check_text_gives_a_json_able_report_in_french(real_embedder):
    report = check_text(
        "Bonne fin de semaine à tous, on part en canot au lac!",
        lang="fr",
        embedder=real_embedder,
    )
    json.dumps(report)
    assert report["flagged"] == []
    assert report["questions"][0].startswith("Une personne raisonnable")


def test_french_benign_text_is_not_vulgar_but_french_insults_are(real_embedder):
    calm = check_text("Merci à toute l'équipe pour ce beau projet, bravo!", embedder=real_embedder)
    rude = check_text("Ferme ta gueule, espèce de connard", embedder=real_embedder)
    assert "vulgar" not in calm["flagged"]
    assert "vulgar" in rude["flagged"]


def test_check_rejects_an_unknown_seniority_band(real_embedder):
    result = runner.invoke(app, ["check", "hello", "--seniority", "king"])
    assert result.exit_code == 2
    assert "seniority must be one of" in result.output


def test_cli_train_prints_the_version_last_and_eval_reports_json(engine, tmp_path, real_embedder):
    path = labeled_file(tmp_path)
    maps = [arg for m in MAPS for arg in ("--map", m)]
    trained = runner.invoke(app, ["train", str(path), *maps, "--activate"])
    assert trained.exit_code == 0, trained.output
    version = trained.stdout.strip().splitlines()[-1]
    assert version.startswith("trained-")
    listed = json.loads(runner.invoke(app, ["classifier", "list", "--json"]).stdout)
    statuses = {row["version"]: row["status"] for row in listed}
    assert statuses[version] == "live"
    assert "retired" in statuses.values()  # the shipped classifier it replaced
    evaluated = runner.invoke(app, ["eval", str(path), *maps, "--json"])
    assert evaluated.exit_code == 0, evaluated.output
    report = json.loads(evaluated.stdout.strip().splitlines()[-1])
    assert report["classifier"] == version
    assert report["macro_f1"] > 0.8
    assert set(report["per_label"]) == {"partisan", "offensive", "benign"}
    shipped = runner.invoke(app, ["eval", str(path), *maps, "--classifier", "nope"])
    assert shipped.exit_code == 2 and "no classifier version" in shipped.output


def test_loading_a_model_prints_no_progress_bar(capfd):
    from pipeline.classify.embedding.base import DEFAULT_MODEL
    from pipeline.classify.embedding.sentence_transformer import SentenceTransformerEmbedder

    SentenceTransformerEmbedder(DEFAULT_MODEL, batch_size=3)
    out, err = capfd.readouterr()
    assert "Loading weights" not in out + err
