"""Official languages: tagging, pairing with and without a counterpart, the per-org report."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from pipeline.classify import official_languages as languages
from pipeline.cli import app
from pipeline.config import Settings
from pipeline.reports import runner as reports
from tests.factories import NOW, World, sha

runner = CliRunner()
EN = (
    "Today the Minister announced $5,000,000 for rural broadband in 12 regions. "
    "https://www.canada.ca/en/news.html #Broadband"
)
FR = (
    "Aujourd'hui, le ministre a annoncé 5 000 000 $ pour la large bande rurale dans "
    "12 régions. https://www.canada.ca/fr/nouvelles.html #LargeBande"
)
EN_OTHER = "Join us at the town hall on the new public transit plan next week in the capital."


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        (EN, "en"),
        (FR, "fr"),
        ("Heute hat der Minister neue Mittel für das Breitband angekündigt.", "other"),
        (
            "Join us for the forum on housing tomorrow.\n"
            "Joignez-vous à nous demain pour le forum sur le logement.",
            "bilingual",
        ),
        ("https://canada.ca 👍", "other"),
    ],
)
def test_detect_language(sample: str, expected: str) -> None:
    assert languages.detect_language(sample) == expected


def test_features_survive_translation() -> None:
    en, fr = languages.features(EN), languages.features(FR)
    assert en.numbers == fr.numbers == {"5000000", "12"}
    assert en.hosts == fr.hosts == {"canada.ca"}
    assert languages.content_similarity(en, fr) > 0.5


def official_posts(world: World, org: str = "Health Canada"):
    en_account = world.account(kind="official", org_unit=org)
    fr_account = world.account(kind="official", org_unit=org)
    return en_account, fr_account


def flagged(db: Session) -> set[str]:
    return set(
        db.scalars(
            sa.text(
                "SELECT p.text FROM flag f JOIN post p ON p.id = f.post_id "
                "WHERE f.category = 'official_languages'"
            )
        )
    )


def test_post_with_a_counterpart_is_not_flagged_and_one_without_is(
    world: World, db: Session
) -> None:
    en_account, fr_account = official_posts(world)
    world.post(en_account, EN, published=NOW - timedelta(hours=50))
    world.post(fr_account, FR, published=NOW - timedelta(hours=49))
    world.post(en_account, EN_OTHER, published=NOW - timedelta(hours=40))
    # another organization's French post is no counterpart
    other_org = world.account(kind="official", org_unit="Transport Canada")
    world.post(
        other_org,
        "Joignez-vous à nous pour l'assemblée sur le plan de transport en "
        "commun la semaine prochaine.",
        published=NOW - timedelta(hours=40),
    )
    db.commit()

    created = languages.check_official_languages(db, at=NOW)
    db.commit()

    assert created == 2
    assert EN_OTHER in flagged(db) and EN not in flagged(db) and FR not in flagged(db)
    langs = dict(db.execute(sa.text("SELECT text, lang_detected FROM post")).all())
    assert langs[EN] == "en" and langs[FR] == "fr"
    assert languages.check_official_languages(db, at=NOW) == 0  # idempotent


def test_counterpart_outside_the_window_does_not_count(world: World, db: Session) -> None:
    en_account, fr_account = official_posts(world)
    world.post(en_account, EN, published=NOW - timedelta(hours=80))
    world.post(fr_account, FR, published=NOW - timedelta(hours=30))
    db.commit()

    assert languages.check_official_languages(db, at=NOW + timedelta(days=1)) == 2


def test_posts_still_inside_their_window_wait(world: World, db: Session) -> None:
    en_account, _ = official_posts(world)
    world.post(en_account, EN, published=NOW - timedelta(hours=3))
    db.commit()
    assert languages.check_official_languages(db, at=NOW) == 0
    assert languages.check_official_languages(db, at=NOW + timedelta(hours=22)) == 1


def test_each_counterpart_pairs_with_one_post_only(world: World, db: Session) -> None:
    en_account, fr_account = official_posts(world)
    world.post(en_account, EN, published=NOW - timedelta(hours=50))
    world.post(en_account, EN + " Reminder.", published=NOW - timedelta(hours=48))
    world.post(fr_account, FR, published=NOW - timedelta(hours=49))
    db.commit()
    assert languages.check_official_languages(db, at=NOW) == 1


def test_embedding_similarity_is_used_with_a_multilingual_model(world: World, db: Session) -> None:
    en_account, fr_account = official_posts(world)
    en_text = "We are proud of our team's work this year on clean water access."
    fr_similar = "Nous sommes fiers du travail de notre équipe cette année sur l'eau potable."
    fr_unrelated = "Le bureau sera fermé lundi en raison du congé férié national."
    world.post(en_account, en_text, published=NOW - timedelta(hours=50))
    world.post(fr_account, fr_unrelated, published=NOW - timedelta(hours=50))
    world.post(fr_account, fr_similar, published=NOW - timedelta(hours=40))
    model = "paraphrase-multilingual-test"
    world.embedding(sha(en_text), (1.0, 0.1, 0.0), model=model)
    world.embedding(sha(fr_similar), (0.9, 0.2, 0.0), model=model)
    world.embedding(sha(fr_unrelated), (0.0, 0.0, 1.0), model=model)
    db.commit()

    created = languages.check_official_languages(db, at=NOW, settings=Settings(model=model))

    assert created == 1 and flagged(db) == {fr_unrelated}


def test_languages_cli_and_per_organization_report(world: World, db: Session) -> None:
    en_account, fr_account = official_posts(world)
    world.post(en_account, EN, published=NOW - timedelta(hours=50))
    world.post(en_account, EN_OTHER, published=NOW - timedelta(hours=40))
    world.post(fr_account, FR, published=NOW - timedelta(hours=49))
    db.commit()

    result = runner.invoke(app, ["languages", "check", "--at", NOW.isoformat()])

    assert result.exit_code == 0, result.output
    assert "1 official_languages flag(s) created" in result.output
    row = reports.run_report(
        "official_languages", date_from=NOW - timedelta(days=7), date_to=NOW
    ).records()[0]
    assert (row["org_unit"], row["en"], row["fr"], row["unpaired_flags"]) == (
        "Health Canada",
        2,
        1,
        1,
    )
