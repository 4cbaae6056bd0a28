"""A decision's clause that names none of the item's categories is caught before it is kept."""

from __future__ import annotations

import pytest

from pipeline import i18n
from pipeline.review.clauses import clause_mismatch


def test_a_clause_naming_another_category_is_caught_with_both_named() -> None:
    warning = clause_mismatch(["partisan"], "vulgar", "advise")
    assert warning is not None
    assert "Vulgar or offensive language" in warning
    assert "Partisan political activity" in warning


@pytest.mark.parametrize(
    ("categories", "clause", "decision"),
    [
        (["partisan", "government_policy"], "government_policy", "escalate"),  # one of them
        (["partisan"], None, "advise"),  # each flag's own category applies
        (["partisan"], "vulgar", "no_concern"),  # no concern names no clause of concern
        (["none"], "vulgar", "advise"),  # a quality sample was flagged for nothing
    ],
)
def test_a_matching_missing_or_unneeded_clause_is_not_caught(categories, clause, decision) -> None:
    assert clause_mismatch(categories, clause, decision) is None


def test_the_warning_is_in_the_language_in_effect() -> None:
    with i18n.use_lang("fr"):
        warning = clause_mismatch(["self_serving"], "partisan", "escalate")
    assert warning is not None and "ne correspond pas" in warning
