"""The parts of fine-tuning that need no model: the held-out split, the length-bucketed
batches, the thresholds from held-out rows, the cache key, a missing model's error."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from pipeline.classify.embedding.base import fine_tuned_folder, model_location
from pipeline.classify.finetune.batches import batch_count, length_buckets
from pipeline.classify.finetune.estimate import NEVER, thresholds_from
from pipeline.classify.finetune.recipe import Recipe, cache_key
from pipeline.classify.finetune.split import held_out_split
from pipeline.classify.versions import set_status
from pipeline.db.models import Classifier
from pipeline.errors import InputError

LABELS = ["partisan", "offensive", "benign"]


def mixed_sources(n_sources: int = 8, per_label: int = 4) -> tuple[list[str], list[str]]:
    labels, sources = [], []
    for s in range(n_sources):
        for label in LABELS:
            labels += [label] * per_label
            sources += [f"source-{s}"] * per_label
    return labels, sources


def test_whole_sources_are_held_out_with_every_label_on_both_sides():
    labels, sources = mixed_sources()
    split = held_out_split(labels, sources, seed=0)
    assert split.grouped
    held = {sources[i] for i in split.held_out}
    trained = {sources[i] for i in split.train}
    assert held == set(split.sources) and not held & trained
    assert 0.10 <= split.share <= 0.30
    assert {labels[i] for i in split.held_out} == set(LABELS)
    assert {labels[i] for i in split.train} == set(LABELS)
    assert sorted([*split.train, *split.held_out]) == list(range(len(labels)))


def test_the_seed_picks_the_held_out_sources_and_the_same_seed_picks_them_again():
    labels, sources = mixed_sources()
    picks = {tuple(held_out_split(labels, sources, seed=s).sources) for s in range(6)}
    assert len(picks) > 1
    again = held_out_split(labels, sources, seed=3)
    assert again.sources == held_out_split(labels, sources, seed=3).sources


def test_a_label_found_in_one_source_only_is_never_held_out_whole():
    labels, sources = mixed_sources(4)
    labels += ["promotional"] * 6
    sources += ["shop"] * 6
    split = held_out_split(labels, sources, seed=0)
    assert split.grouped and "shop" not in split.sources
    assert "promotional" in {labels[i] for i in split.train}


def test_rows_from_fewer_than_three_sources_are_held_out_stratified():
    labels, sources = mixed_sources(2, per_label=10)
    split = held_out_split(labels, sources, seed=0)
    assert not split.grouped and split.sources == []
    assert 0.15 <= split.share <= 0.20
    assert sorted(Counter(labels[i] for i in split.held_out).values()) == [3, 3, 4]
    assert held_out_split(labels, None, seed=0).held_out.tolist() == split.held_out.tolist()


def test_sources_that_each_hold_one_label_fall_back_to_a_stratified_split():
    labels = [label for label in LABELS for _ in range(10)]
    sources = [f"only-{label}" for label in labels]
    split = held_out_split(labels, sources, seed=0)
    assert not split.grouped
    assert {labels[i] for i in split.held_out} == set(LABELS)


def test_a_label_with_a_single_row_cannot_be_split():
    with pytest.raises(InputError, match="'rare' has one row"):
        held_out_split(["a", "a", "b", "b", "rare"], None)


def test_length_buckets_cover_every_row_once_in_batches_of_similar_length():
    rng = np.random.default_rng(0)
    lengths = rng.integers(3, 200, size=1000).tolist()
    batches = length_buckets(lengths, 32, np.random.default_rng(7))
    flat = [i for b in batches for i in b]
    assert sorted(flat) == list(range(1000))
    assert len(batches) == batch_count(1000, 32)
    assert all(len(b) <= 32 for b in batches)

    # sorted within chunks: the padding a batch carries is a fraction of random batches'
    def padding(groups):
        return sum(max(lengths[i] for i in g) * len(g) - sum(lengths[i] for i in g) for g in groups)

    shuffled = np.random.default_rng(1).permutation(1000)
    randomly = [shuffled[i : i + 32].tolist() for i in range(0, 1000, 32)]
    assert padding(batches) < padding(randomly) / 3
    # the batch order is shuffled, not longest-last
    firsts = [lengths[b[0]] for b in batches]
    assert firsts != sorted(firsts)
    assert batches == length_buckets(lengths, 32, np.random.default_rng(7))


def test_thresholds_come_from_held_out_rows_else_the_policy_and_unmapped_never_flag():
    probs = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.2, 0.8]])
    truth = ["partisan", "partisan", "benign", "benign"]
    mapping = {"partisan": ["partisan"], "benign": [], "offensive": ["vulgar"]}
    thresholds, origin = thresholds_from(
        probs,
        truth,
        ["partisan", "benign"],
        mapping,
        ["partisan", "government_policy", "vulgar"],
        {"partisan": 0.35, "government_policy": 0.35, "vulgar": 0.4},
        target_precision=0.6,
    )
    assert origin == {"partisan": "held-out", "vulgar": "policy", "government_policy": "unmapped"}
    assert 0.3 < thresholds["partisan"] <= 0.8
    assert thresholds["vulgar"] == 0.4
    assert thresholds["government_policy"] == NEVER > 1


def test_the_cache_key_names_the_base_model_the_rows_and_every_setting():
    key = cache_key("base", "rows", Recipe())
    assert key == cache_key("base", "rows", Recipe()) and len(key) == 16
    others = {
        cache_key("other", "rows", Recipe()),
        cache_key("base", "other rows", Recipe()),
        cache_key("base", "rows", Recipe(seed=1)),
        cache_key("base", "rows", Recipe(refit=True)),
        cache_key("base", "rows", Recipe(epochs=2)),
        cache_key("base", "rows", Recipe(max_seq_length=64)),
        cache_key("base", "rows", Recipe(hold_out="sources")),
    }
    assert key not in others and len(others) == 7


def test_rows_are_held_out_by_default_and_sources_only_when_asked():
    assert Recipe().hold_out == "rows"
    with pytest.raises(InputError, match="--hold-out"):
        Recipe(hold_out="accounts")


def test_a_recipe_with_no_epochs_is_refused():
    with pytest.raises(InputError, match="--epochs"):
        Recipe(epochs=0)


def test_a_fine_tuned_model_missing_from_the_cache_is_a_clear_error():
    model = "ft-0123456789abcdef"
    with pytest.raises(InputError) as caught:
        model_location(model)
    message = str(caught.value)
    assert f"the fine-tuned model {model} is not in the model cache at" in message
    assert str(fine_tuned_folder(model)) in message and "train it again" in message


def test_a_version_whose_fine_tuned_model_is_gone_cannot_go_live(db):
    db.add(
        Classifier(
            version="finetuned-gone",
            policy_version="p",
            model_id="ft-0123456789abcdef",
            params={"kind": "fine-tuned"},
            thresholds={},
            metrics={},
        )
    )
    db.flush()
    for status in ("live", "shadow"):
        with pytest.raises(InputError, match="not in the model cache"):
            set_status(db, "finetuned-gone", status)
    assert db.get(Classifier, db.query(Classifier.id).scalar()).status == "candidate"
