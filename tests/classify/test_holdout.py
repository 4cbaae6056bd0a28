"""Held-out estimates (k-fold and grouped by source) and reading several training files as one
set; no database, no model (synthetic rows written for these tests)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pipeline.classify.core.holdout import grouped_estimate
from pipeline.classify.core.labeled import DECISIONS_SOURCE, read_training_rows
from pipeline.classify.core.training import train_head
from pipeline.errors import InputError

MAPPING = {"politics": ["partisan"], "rude": ["vulgar"], "fine": []}
FILLER = ["today", "morning", "team", "update", "river", "news", "week", "city", "plan", "note"]


def sourced_rows(seed: int = 0) -> tuple[np.ndarray, list[str], list[str], list[str]]:
    """Six sources of one label each: a source's rows are near-duplicates sharing a word of
    their own, and the dense features carry only a weak signal of the label. Held-out sources
    share nothing but that weak signal with the rest."""
    rng = np.random.default_rng(seed)
    labels, texts, groups = [], [], []
    for k, label in enumerate(["politics", "rude", "fine"] * 2):
        for i in range(15):
            words = " ".join(rng.choice(FILLER, 3))
            texts.append(f"house{k}style {words} {i % 3}")
            labels.append(label)
            groups.append(f"source-{k}")
    signal = np.array([["politics", "rude", "fine"].index(lab) for lab in labels])
    x = rng.normal(size=(len(labels), 6))
    x[np.arange(len(labels)), signal] += 0.6
    return x, labels, texts, groups


def test_grouped_estimate_holds_whole_sources_out_and_is_lower_than_k_fold():
    x, labels, texts, groups = sourced_rows()
    langs = ["fr" if g == "source-0" else "en" for g in groups]
    result = train_head(x, labels, MAPPING, texts=texts, groups=groups, langs=langs)
    m = result.metrics
    grouped = m["grouped"]
    assert (grouped["groups"], grouped["folds"]) == (6, 5)
    assert set(grouped["per_source"]) == set(groups)
    # the source's own word gives k-fold away; held-out sources cannot lean on it
    assert m["kfold"]["macro_f1"] > 0.8
    assert grouped["macro_f1"] < m["kfold"]["macro_f1"] - 0.3
    assert m["macro_f1"] == m["kfold"]["macro_f1"] and m["kfold"]["folds"] == m["folds"]
    assert m["by_lang"] == {
        "en": {"macro_f1": m["by_lang"]["en"]["macro_f1"], "rows": 75},
        "fr": {"macro_f1": m["by_lang"]["fr"]["macro_f1"], "rows": 15},
    }
    assert set(grouped["by_lang"]) == {"en", "fr"}


def test_every_grouped_fold_is_scored_by_a_fit_that_never_saw_its_sources():
    _, labels, _, groups = sourced_rows()
    y = np.asarray(labels)
    classes = sorted(MAPPING)
    seen: list[tuple[np.ndarray, np.ndarray]] = []

    def fit(train: np.ndarray, test: np.ndarray) -> np.ndarray:
        seen.append((train, test))
        proba = np.full((len(test), len(classes)), 0.1)
        proba[np.arange(len(test)), [classes.index(lab) for lab in y[test]]] = 0.8
        return proba

    g = np.asarray(groups)
    found = grouped_estimate(fit, y, classes, MAPPING, groups, target_precision=0.6)
    assert found is not None and len(seen) == found["folds"] == 5
    for train, test in seen:
        assert not set(g[train]) & set(g[test])
    assert sorted(np.concatenate([test for _, test in seen]).tolist()) == list(range(len(y)))
    assert found["macro_f1"] == 1.0  # a perfect scorer stays perfect with held-out thresholds


def test_fewer_than_three_sources_give_no_grouped_estimate():
    x, labels, texts, groups = sourced_rows()
    two = ["a" if g in ("source-0", "source-1", "source-2") else "b" for g in groups]
    result = train_head(x, labels, MAPPING, texts=texts, groups=two)
    assert "grouped" not in result.metrics
    assert "grouped" not in train_head(x, labels, MAPPING, texts=texts).metrics


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_training_files_are_read_as_one_set_with_their_sources(tmp_path):
    decisions = write_jsonl(
        tmp_path / "decisions.jsonl",
        [
            {"id": "post:1", "text": "Vote for them", "label": "partisan", "lang": "en",
             "decisions": {"partisan": "advise"}},
            {"id": "post:2", "text": "You absolute clown", "label": "vulgar", "lang": None,
             "decisions": {"vulgar": "escalate"}},
            {"id": "post:3", "text": "Lunch by the canal", "label": "none", "lang": "en",
             "decisions": {"partisan": "no_concern"}},
        ],
    )  # fmt: skip
    extra = write_jsonl(
        tmp_path / "extra.jsonl",
        [
            {"text": "Elect our slate", "label": "politics", "source": "forum", "lang": "en"},
            {"text": "What a moron", "label": "offensive", "lang": "fr"},
            {"text": "Nice walk", "label": "benign", "source": "forum"},
        ],
    )
    maps = ["politics=partisan,government_policy", "offensive=vulgar", "benign=none"]
    data = read_training_rows([decisions, extra], maps)
    assert data.sources == [DECISIONS_SOURCE] * 3 + ["forum", "extra.jsonl", "forum"]
    # labels that mean the same categories train as one: the first one read
    assert data.merged == {"offensive": "vulgar", "benign": "none"}
    assert data.labels == ["partisan", "vulgar", "none", "politics", "vulgar", "none"]
    assert data.mapping == {
        "politics": ["partisan", "government_policy"],
        "partisan": ["partisan"],
        "vulgar": ["vulgar"],
        "none": [],
    }
    summary = data.summary()
    assert summary["files"] == ["decisions.jsonl", "extra.jsonl"]
    assert summary["rows"] == 6
    assert summary["by_label"] == {"none": 2, "partisan": 1, "politics": 1, "vulgar": 2}
    assert summary["by_lang"] == {"en": 3, "fr": 1, "und": 2}
    assert summary["by_source"] == {DECISIONS_SOURCE: 3, "forum": 2, "extra.jsonl": 1}
    assert summary["labels_merged"] == data.merged
    again = read_training_rows([decisions, extra], maps).summary()
    assert again["sha256"] == summary["sha256"]
    swapped = read_training_rows([extra, decisions], maps).summary()
    assert swapped["sha256"] != summary["sha256"]  # the rows' order is part of the data


def test_a_decisions_export_needs_no_map_and_a_label_without_one_is_refused(tmp_path):
    decisions = write_jsonl(
        tmp_path / "d.jsonl",
        [
            {"text": "a", "label": "self_serving", "decisions": {"self_serving": "refer"}},
            {"text": "b", "label": "none", "decisions": {"vulgar": "no_concern"}},
        ],
    )
    assert read_training_rows([decisions], None).mapping == {"self_serving": ["self_serving"],
                                                             "none": []}  # fmt: skip
    other = write_jsonl(tmp_path / "o.jsonl", [{"text": "c", "label": "spam"}])
    with pytest.raises(InputError, match="label 'spam' is not named by any --map"):
        read_training_rows([decisions, other], ["offensive=vulgar"])
    with pytest.raises(InputError, match="no such file"):
        read_training_rows([decisions, tmp_path / "missing.jsonl"], None)
