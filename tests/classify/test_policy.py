"""The policy file: the shipped one is complete; a broken one is refused with a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipeline.classify.guidance import (
    CATEGORY_NAMES,
    SHIPPED_POLICY,
    PolicyError,
    load_policy,
    parse_policy,
)


def shipped() -> dict:
    return yaml.safe_load(SHIPPED_POLICY.read_text(encoding="utf-8"))


def test_shipped_policy_has_four_categories_with_25_exemplars_per_language(policy):
    assert policy.categories == CATEGORY_NAMES
    for name in CATEGORY_NAMES:
        spec = policy.spec.categories[name]
        assert len(spec.exemplars.en) >= 25 and len(spec.exemplars.fr) >= 25, name
        assert spec.description.en and spec.description.fr
        assert len(set(spec.exemplars.en)) == len(spec.exemplars.en), f"duplicate in {name}"
    assert len(policy.spec.benign.en) >= 25 and len(policy.spec.benign.fr) >= 25
    assert policy.spec.questions["en"] and policy.spec.questions["fr"]


def test_policy_version_is_the_content_hash():
    text = SHIPPED_POLICY.read_text(encoding="utf-8")
    same = parse_policy(text)
    changed = parse_policy(text + "\n# a comment changes the version\n")
    assert same.version == load_policy(SHIPPED_POLICY).version
    assert changed.version != same.version


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda d: d["categories"].pop("vulgar"), "missing: vulgar"),
        (lambda d: d["categories"].__setitem__("spam", d["categories"]["vulgar"]), "unknown: spam"),
        (lambda d: d["categories"]["partisan"].__setitem__("threshold", 1.5), "threshold"),
        (lambda d: d["categories"]["self_serving"]["exemplars"].__setitem__("fr", []), "fr"),
        (lambda d: d["disclaimers"].append("(unclosed"), "not a valid regular expression"),
        (lambda d: d["categories"]["partisan"]["description"].pop("fr"), "description.fr"),
        (lambda d: d.__setitem__("colour", "blue"), "colour"),
        (
            lambda d: d["context"].__setitem__("seniority", {"staff": 1, "executive": 0}),
            "seniority",
        ),
    ],
)
def test_a_broken_policy_is_refused_naming_the_problem(edit, expected):
    data = shipped()
    edit(data)
    with pytest.raises(PolicyError) as info:
        parse_policy(yaml.safe_dump(data, allow_unicode=True), "broken.yaml")
    assert "broken.yaml" in str(info.value)
    assert expected in str(info.value)


def test_invalid_yaml_and_missing_file_give_clear_errors(tmp_path: Path):
    bad = tmp_path / "policy.yaml"
    bad.write_text("categories: [unclosed\n", encoding="utf-8")
    with pytest.raises(PolicyError, match="not valid YAML"):
        load_policy(bad)
    with pytest.raises(PolicyError, match="cannot read policy file"):
        load_policy(tmp_path / "absent.yaml")
