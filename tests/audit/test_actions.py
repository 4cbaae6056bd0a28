"""The audit actions a person picks from, the details they read, and the day a search ends."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline import i18n
from pipeline.audit.actions import ACTIONS, action_label, detail_lines, known_prefixes, pick_list
from pipeline.audit.search import until

PACKAGE = Path(i18n.__file__).parent
LITERAL = re.compile(r"""["']([a-z_]+\.[a-z_]+)["']""")
# events whose action is built from a word list rather than written out
BUILT = {"employee.": ("comment", "contest"), "classifier.": ("live", "shadow", "retired")}


def test_every_action_the_code_records_is_in_the_pick_list() -> None:
    prefixes = known_prefixes()
    found = set()
    for path in PACKAGE.rglob("*.py"):
        if path.name == "actions.py" and path.parent.name == "audit":
            continue  # the list itself
        for action in LITERAL.findall(path.read_text(encoding="utf-8")):
            prefix, _, rest = action.partition(".")
            if prefix in prefixes and rest not in ("id", "html", "csv", "py"):
                found.add(action)
    found |= {prefix + word for prefix, words in BUILT.items() for word in words}
    assert len(found) > 40
    assert sorted(found - set(ACTIONS)) == []


def test_labels_are_plain_words_in_both_languages_and_unknown_actions_stay_codes() -> None:
    assert action_label("identity.reveal") == "Author's identity revealed"
    with i18n.use_lang("fr"):
        assert action_label("identity.reveal") == "Identité de l'auteur révélée"
        groups = dict(pick_list())
        assert ("user.set_role", "Rôle de l'utilisateur changé") in groups[
            "Utilisateurs et personnes"
        ]
    assert action_label("something.new") == "something.new"


def test_details_are_lines_of_words_not_literals() -> None:
    lines = detail_lines({"flag_ids": [3, 4], "counts": {"rows": 2}, "was_locked": True, "x": None})
    assert lines == [("flag ids", "3, 4"), ("counts", "rows: 2"), ("was locked", "yes"), ("x", "")]
    assert detail_lines(None) == []


@pytest.mark.parametrize(
    ("given", "end"),
    [
        ("2026-11-30", datetime(2026, 12, 1, tzinfo=UTC)),
        ("2026-11-30T15:00:00", datetime(2026, 11, 30, 15, tzinfo=UTC)),
        ("", None),
        (None, None),
    ],
)
def test_a_day_ends_at_the_next_midnight_and_an_instant_where_it_is(given, end) -> None:
    assert until(given) == end


@pytest.mark.parametrize("given", ["30/11/2026", "9999-12-31", "soon"])
def test_a_period_end_that_is_no_date_is_refused(given) -> None:
    with pytest.raises(ValueError):
        until(given)
