"""The fast path: a static twin screens posts, the full model re-scores the uncertain ones."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from pydantic import ValidationError

from pipeline import static_embedding
from pipeline.classify import assess_pending
from pipeline.config import Settings, get_settings
from pipeline.db.models import Assessment, Embedding, Flag
from pipeline.embedding import DEFAULT_MODEL, FakeEmbedder
from tests.classify.conftest import add_post

# A tiny vocabulary (the most frequent few thousand word pieces) keeps distillation quick.
TINY_VOCABULARY = 6000

CLEAR = [
    "You stupid fucking idiot, shut your mouth, you worthless piece of shit.",
    "Vote Conservative on election day, the Liberals have failed this country.",
    "Buy my new book today and subscribe to my channel, use my promo code for 20% off.",
    "Spent the weekend canoeing with my kids, the fall colours were amazing.",
    "Made a big pot of soup and baked some bread this afternoon.",
    "Our cat finally learned to open the kitchen door by herself.",
]


@pytest.fixture(scope="session")
def tiny_static(tmp_path_factory) -> static_embedding.StaticEmbedder:
    folder = tmp_path_factory.mktemp("static") / "minilm-m2v"
    return static_embedding.load_static(DEFAULT_MODEL, folder, max_tokens=TINY_VOCABULARY)


@pytest.fixture
def settings_env(monkeypatch) -> Iterator[pytest.MonkeyPatch]:
    get_settings.cache_clear()
    yield monkeypatch
    monkeypatch.undo()
    get_settings.cache_clear()


def add_posts(db, account, texts: list[str]) -> list[int]:
    posts = [add_post(db, account, text, i) for i, text in enumerate(texts)]
    db.commit()
    return [p.id for p in posts]


def flags_by_post(db) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    for post_id, category in db.execute(sa.select(Flag.post_id, Flag.category)):
        out.setdefault(post_id, set()).add(category)
    return out


def forget_output(db) -> None:
    db.execute(sa.delete(Flag))
    db.execute(sa.delete(Assessment))
    db.commit()


def test_static_twin_is_distilled_once_then_loaded(tiny_static, tmp_path_factory, monkeypatch):
    vectors = tiny_static.encode(["the government will vote on the new plan", "hello there"])
    assert vectors.shape == (2, 256)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert tiny_static.model_id == f"{DEFAULT_MODEL}-m2v"
    folder = next(Path(tmp_path_factory.getbasetemp()).glob("static*/minilm-m2v"))

    def no_distill(*args, **kwargs):
        raise AssertionError("distilled again")

    monkeypatch.setattr(static_embedding, "distill", no_distill)
    again = static_embedding.load_static(DEFAULT_MODEL, folder)
    assert np.allclose(again.encode(["hello there"]), vectors[1:], atol=1e-6)


def test_cascade_keeps_only_clearly_clean_posts_static(engine, db, account):
    ids = add_posts(db, account, CLEAR)
    full, static = FakeEmbedder(), FakeEmbedder(dim=64, model_id="fake-static")
    summary = assess_pending(engine, embedder=full, fast_path="cascade", static_embedder=static)
    assert summary.fast_path == "cascade"
    assert static.calls >= len(ids)
    band = get_settings().fast_path_band
    rows = db.scalars(sa.select(Assessment)).all()
    kept = [a for a in rows if a.explanation["scored_path"] == "static screen"]
    rescored = [a for a in rows if a.explanation["scored_path"] == "full model"]
    assert len(kept) + len(rescored) == len(ids)
    assert summary.static_kept == len(kept) >= 1
    for a in kept:  # the static screen only keeps posts clearly under every threshold
        cats = a.explanation["categories"]
        assert all(cats[c]["score"] < cats[c]["threshold"] - band for c in cats)
    flagged = flags_by_post(db)
    assert {a.post_id for a in rescored} >= set(flagged)
    # the full model ran on the re-scored posts only (plus the policy's exemplars)
    stored = db.scalar(
        sa.select(sa.func.count()).select_from(Embedding).where(Embedding.model_id == "fake-bow")
    )
    assert summary.model_calls == stored
    assert (
        db.scalar(
            sa.select(sa.func.count())
            .select_from(Embedding)
            .where(Embedding.model_id == "fake-static")
        )
        == 0
    )


def test_cascade_flags_match_the_full_model_on_clear_posts(
    engine, db, account, real_embedder, tiny_static
):
    ids = add_posts(db, account, CLEAR)
    cascade = assess_pending(
        engine, embedder=real_embedder, fast_path="cascade", static_embedder=tiny_static
    )
    fast_flags = flags_by_post(db)
    paths = {
        a.post_id: a.explanation["scored_path"] for a in db.scalars(sa.select(Assessment)).all()
    }
    assert cascade.assessed == len(ids)
    assert all(paths[p] == "full model" for p in fast_flags)
    forget_output(db)
    full = assess_pending(engine, embedder=real_embedder, fast_path="off")
    assert full.assessed == len(ids)
    assert flags_by_post(db) == fast_flags
    assert set(fast_flags) >= set(ids[:3])  # the vulgar, partisan and promotional posts
    assert not set(fast_flags) & set(ids[3:])


def test_a_wide_band_sends_every_post_to_the_full_model(engine, db, account, settings_env):
    settings_env.setenv("IMPARTIAL_FAST_PATH_BAND", "1")
    ids = add_posts(db, account, CLEAR)
    static = FakeEmbedder(dim=64, model_id="fake-static")
    summary = assess_pending(
        engine, embedder=FakeEmbedder(), fast_path="cascade", static_embedder=static
    )
    paths = [a.explanation["scored_path"] for a in db.scalars(sa.select(Assessment)).all()]
    assert paths == ["full model"] * len(ids)
    assert summary.static_kept == 0


def test_fast_path_off_is_the_plain_full_model(engine, db, account, settings_env):
    settings_env.delenv("IMPARTIAL_FAST_PATH", raising=False)
    add_posts(db, account, CLEAR)
    static = FakeEmbedder(dim=64, model_id="fake-static")
    summary = assess_pending(engine, embedder=FakeEmbedder(), static_embedder=static)
    assert summary.fast_path == "off"
    assert static.calls == 0
    assert summary.model_calls >= len(CLEAR)
    for a in db.scalars(sa.select(Assessment)).all():
        assert "scored_path" not in a.explanation


def test_fast_path_setting_comes_from_the_environment(engine, db, account, settings_env):
    settings_env.setenv("IMPARTIAL_FAST_PATH", "cascade")
    add_posts(db, account, CLEAR[:2])
    static = FakeEmbedder(dim=64, model_id="fake-static")
    summary = assess_pending(engine, embedder=FakeEmbedder(), static_embedder=static)
    assert summary.fast_path == "cascade"
    assert static.calls >= 2
    settings_env.setenv("IMPARTIAL_FAST_PATH", "turbo")
    with pytest.raises(ValidationError, match="fast_path"):
        Settings()


def test_posts_with_a_stored_full_vector_are_judged_by_the_full_model(engine, db, account):
    add_posts(db, account, CLEAR)
    full = FakeEmbedder()
    assess_pending(engine, embedder=full, fast_path="off")  # stores every full vector
    forget_output(db)  # a re-score, e.g. after a policy change
    calls = full.calls
    static = FakeEmbedder(dim=64, model_id="fake-static")
    summary = assess_pending(engine, embedder=full, fast_path="cascade", static_embedder=static)
    assert full.calls == calls  # nothing embedded again
    assert summary.static_kept == 0
    paths = {a.explanation["scored_path"] for a in db.scalars(sa.select(Assessment)).all()}
    assert paths == {"full model"}
