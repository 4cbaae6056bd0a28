"""Disclaimer stripping and bilingual lexicon matching."""

from __future__ import annotations

import pytest

from pipeline.classify.guidance import Lexicon


@pytest.mark.parametrize(
    "text",
    [
        "The carbon tax is a mess. Views are my own.",
        "The carbon tax is a mess. All opinions expressed here are mine alone",
        "The carbon tax is a mess | RTs ≠ endorsements",
        "The carbon tax is a mess. Opinions personnelles.",
        "The carbon tax is a mess. Les opinions exprimées ici sont les miennes",
        "The carbon tax is a mess. Partages ≠ appuis",
    ],
)
def test_disclaimers_are_stripped_in_english_and_french(policy, text):
    assert policy.strip_disclaimers(text) == "The carbon tax is a mess"


def test_text_without_disclaimer_is_unchanged(policy):
    text = "My own garden produced a lot of views of the lake."
    assert policy.strip_disclaimers(text) == text


def test_lexicon_matches_party_and_leader_names_in_both_languages(policy):
    en = policy.lexicon.match("Vote NDP! Poilievre and the Conservatives have no plan")
    fr = policy.lexicon.match("Votez pour le Bloc Québécois aux prochaines élections")
    assert {"ndp", "poilievre", "conservatives"} <= {t.lower() for t in en.terms["partisan"]}
    assert "Bloc Québécois" in fr.terms["partisan"]
    assert {"elections", "élections"} & set(fr.terms["partisan"])


def test_lexicon_folds_accents_case_and_hashtags():
    lexicon = Lexicon({"p": ["élection", "vote NDP"]})
    assert lexicon.match("ELECTION day").count("p") == 1
    assert lexicon.match("#VoteNDP tomorrow").terms["p"] == ["vote NDP"]
    assert lexicon.match("selection committee").count("p") == 0


def test_vulgar_lexicon_covers_english_profanity_library_and_french_terms(policy):
    assert policy.lexicon.match("what a load of bullshit").count("vulgar") == 1
    assert policy.lexicon.match("Quel connard, ferme ta gueule").count("vulgar") >= 2
    # better-profanity words the policy excludes as ordinary in workplace posts
    assert policy.lexicon.match("Proud to march in the gay pride parade").count("vulgar") == 0


def test_benign_french_matches_no_vulgar_term(policy):
    for text in policy.spec.benign.fr:
        assert policy.lexicon.match(text).count("vulgar") == 0, text


def test_self_serving_lexicon_matches_promotion(policy):
    match = policy.lexicon.match("Abonnez-vous à ma chaîne! Use my promo code for 20% off")
    assert {"abonnez-vous", "ma chaîne", "promo code", "% off"} <= set(match.terms["self_serving"])
