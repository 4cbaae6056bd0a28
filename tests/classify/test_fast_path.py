"""The fast path: a shallow screen scores posts, the full model re-scores those it can't settle."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
import sqlalchemy as sa
from pydantic import ValidationError

from pipeline.classify.assess import assess_pending
from pipeline.classify.core.assessor import Assessor, exemplar_index
from pipeline.classify.core.cascade import FULL, SCREEN, Cascade, Screen, exemplar_fragments
from pipeline.classify.embedding.base import DEFAULT_MODEL, text_hash
from pipeline.classify.embedding.factory import get_fast_embedders
from pipeline.classify.embedding.fake import FakeEmbedder
from pipeline.classify.embedding.layered import LayeredModel
from pipeline.classify.fast_path import build_cascade, calibration_set
from pipeline.classify.guidance import load_policy
from pipeline.classify.store import assessor_for, ensure_live_classifier
from pipeline.config import Settings, get_settings
from pipeline.db.models import Assessment, Classifier, Embedding, Flag
from pipeline.errors import InputError
from tests.classify.conftest import add_post

CLEAR = [
    "You stupid fucking idiot, shut your mouth, you worthless piece of shit.",
    "Vote Conservative on election day, the Liberals have failed this country.",
    "Buy my new book today and subscribe to my channel, use my promo code for 20% off.",
    "Spent the weekend canoeing with my kids, the fall colours were amazing.",
    "Made a big pot of soup and baked some bread this afternoon.",
    "Our cat finally learned to open the kitchen door by herself.",
]


@pytest.fixture
def settings_env(monkeypatch) -> Iterator[pytest.MonkeyPatch]:
    get_settings.cache_clear()
    yield monkeypatch
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture
def fakes() -> tuple[FakeEmbedder, FakeEmbedder]:
    """A fake full model and a fake, coarser screen (fewer hashed dimensions)."""
    return FakeEmbedder(), FakeEmbedder(dim=48, model_id="fake-screen")


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


def cascade_for(db, full, screen) -> tuple[Cascade, int]:
    policy = load_policy()
    live = ensure_live_classifier(db, policy=policy, model_id=full.model_id)
    db.commit()
    assessors = {live.id: assessor_for(db, live, full, policy)}
    return build_cascade(db, assessors, policy, full, screen), live.id


def test_uncertain_rows_are_those_near_a_threshold_or_with_close_flags():
    bands = {"a": (0.1, 0.05), "b": (0.1, 0.05)}
    cascade = Cascade(screen=None, bands={1: bands})  # type: ignore[arg-type]
    scores = np.array(
        [
            [0.2, 0.1],  # clearly under both thresholds
            [0.45, 0.1],  # within 0.1 under a's threshold
            [0.53, 0.1],  # within 0.05 over it
            [0.9, 0.1],  # clearly over
            [0.9, 0.85],  # both clearly over, too close to order
            [0.99, 0.6],  # both over, order settled
        ]
    )
    mask = cascade.uncertain({1: scores}, {1: {"a": 0.5, "b": 0.5}}, ("a", "b"))
    assert mask.tolist() == [False, True, True, False, True, False]


def test_calibration_needs_enough_texts(fakes):
    full, screen = fakes
    with pytest.raises(ValueError, match="at least 10 calibration texts"):
        Cascade.calibrate({}, screen, ["a b c"] * 3, full.encode(["a b c"] * 3), coverage=0.9)


def test_exemplar_fragments_cover_every_exemplar_and_more():
    policy = load_policy()
    fragments = exemplar_fragments(policy)
    exemplars = {t for c in (*policy.categories, "benign") for _, t in policy.exemplars(c)}
    assert exemplars <= set(fragments)
    assert len(fragments) > 2 * len(exemplars)
    assert len(fragments) == len(set(fragments))


def test_calibration_reads_recent_posts_with_a_stored_full_vector(engine, db, account, fakes):
    full, _ = fakes
    add_posts(db, account, CLEAR)
    assess_pending(engine, embedder=full, fast_path="off")  # stores the posts' vectors
    texts, vectors, is_post = calibration_set(db, load_policy(), full, posts=4)
    assert sum(is_post) == 4  # capped, newest first
    assert set(t for t, p in zip(texts, is_post, strict=True) if p) == set(CLEAR[-4:])
    assert vectors.shape == (len(texts), full.dim)
    assert np.allclose(vectors[-4:], full.encode(texts[-4:]), atol=1e-6)
    none = calibration_set(db, load_policy(), full, posts=0)
    assert not any(none[2])


def test_cascade_keeps_only_posts_the_screen_settles(engine, db, account, fakes):
    full, screen = fakes
    ids = add_posts(db, account, CLEAR)
    cascade, live_id = cascade_for(db, full, screen)
    calls = full.calls
    summary = assess_pending(
        engine, embedder=full, fast_path="cascade", screen=screen, cascade=cascade
    )
    assert summary.fast_path == "cascade"
    rows = db.scalars(sa.select(Assessment)).all()
    kept = [a for a in rows if a.explanation["scored_path"] == SCREEN]
    rescored = [a for a in rows if a.explanation["scored_path"] == FULL]
    assert len(kept) + len(rescored) == len(ids)
    assert summary.screen_kept == len(kept)
    assert full.calls - calls == summary.model_calls == len(rescored)
    bands = cascade.bands[live_id]
    for a in kept:  # the screen keeps a post only when every score is clear of its band
        for c, info in a.explanation["categories"].items():
            below, above = bands[c]
            assert not info["threshold"] - below < info["score"] < info["threshold"] + above
    stored = db.scalars(
        sa.select(Embedding.model_id).where(Embedding.model_id == screen.model_id)
    ).all()
    assert stored == []  # screen vectors are never cached


def test_higher_coverage_sends_more_posts_to_the_full_model(
    engine, db, account, fakes, settings_env
):
    full, screen = fakes
    add_posts(db, account, CLEAR * 3)
    rescored = []
    for coverage in ("0.6", "0.99"):
        settings_env.setenv("IMPARTIAL_FAST_PATH_COVERAGE", coverage)
        get_settings.cache_clear()
        forget_output(db)
        db.execute(sa.delete(Embedding))
        db.commit()
        summary = assess_pending(engine, embedder=full, fast_path="cascade", screen=screen)
        rescored.append(summary.posts - summary.screen_kept)
    assert rescored[0] <= rescored[1]
    assert rescored[1] > 0


def test_cascade_flags_match_the_full_model_on_clear_posts(
    engine, db, account, real_embedder, settings_env
):
    # float32: the posts the screen cannot settle get exactly the full model's vectors
    settings_env.setenv("IMPARTIAL_FAST_PATH_PRECISION", "float32")
    ids = add_posts(db, account, CLEAR)
    fast_full, screen = get_fast_embedders()
    cascade = assess_pending(engine, embedder=fast_full, fast_path="cascade", screen=screen)
    fast_flags = flags_by_post(db)
    assert cascade.assessed == len(ids)
    # the re-scored posts were finished from the screen's states, and their vectors cached
    rescored = cascade.posts - cascade.screen_kept
    hashes = [text_hash(load_policy().strip_disclaimers(t)) for t in CLEAR]
    cached = db.scalar(
        sa.select(sa.func.count())
        .select_from(Embedding)
        .where(Embedding.model_id == fast_full.model_id, Embedding.content_hash.in_(hashes))
    )
    assert cached == rescored > 0
    forget_output(db)
    full = assess_pending(engine, embedder=real_embedder, fast_path="off")
    assert full.assessed == len(ids)
    assert flags_by_post(db) == fast_flags
    assert set(fast_flags) >= set(ids[:3])  # the vulgar, partisan and promotional posts
    assert not set(fast_flags) & set(ids[3:])
    # one classifier version, whatever the precision of the model that ran
    assert db.scalars(sa.select(Classifier.model_id)).all() == [DEFAULT_MODEL]


def test_fast_models_are_the_configured_model_in_int8(real_embedder, _model_cache):
    fast_full, screen = get_fast_embedders()
    assert fast_full.model_id == f"{DEFAULT_MODEL}@int8"
    assert screen.model_id == f"{DEFAULT_MODEL}@L1@int8"
    assert {p.name for p in _model_cache.glob("*/*.onnx")} == {"first.onnx", "rest.onnx"}
    exact, fast = real_embedder.encode(CLEAR), fast_full.encode(CLEAR)
    assert np.allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-5)
    cosine = (exact * fast).sum(axis=1)
    assert cosine.min() > 0.97 and cosine.mean() > 0.985  # int8: close, not exact
    shallow, partial = screen.start(CLEAR)
    assert np.allclose(fast_full.finish(partial, [5, 0]), fast[[5, 0]], atol=1e-5)
    assert shallow.shape == (len(CLEAR), fast_full.dim)
    assert (exact * shallow).sum(axis=1).max() < 0.99  # one layer is not the model
    # every category more than 0.05 from its threshold is decided as the float32 model does
    policy = load_policy()
    thresholds = {c: policy.threshold(c) for c in policy.categories}

    def judged(embedder, vectors):
        index = exemplar_index(policy, embedder.model_id, embedder.encode)
        return Assessor(policy, index, thresholds).judge(CLEAR, vectors)

    pairs = zip(judged(real_embedder, exact), judged(fast_full, fast), strict=True)
    for reference, got in pairs:
        for c, limit in thresholds.items():
            if abs(reference.scores[c] - limit) > 0.05:
                assert (got.scores[c] >= limit) == (reference.scores[c] >= limit), c


def test_an_int8_export_is_made_once_and_reused(tmp_path, monkeypatch, real_embedder):
    from pipeline.classify.embedding import onnx_stages

    first = LayeredModel(DEFAULT_MODEL, precision="int8", cache=tmp_path)
    (folder,) = [p for p in tmp_path.iterdir()]  # renamed into place: no half-written folder
    assert sorted(p.name for p in folder.iterdir()) == ["first.onnx", "rest.onnx"]

    def no_export(*args):
        raise AssertionError("exported again")

    monkeypatch.setattr(onnx_stages, "_export", no_export)
    again = LayeredModel(DEFAULT_MODEL, precision="int8", cache=tmp_path)
    assert np.allclose(again.encode(CLEAR), first.encode(CLEAR), atol=1e-6)


def test_an_unwritable_model_cache_falls_back_to_a_temporary_folder(tmp_path, real_embedder):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    model = LayeredModel(DEFAULT_MODEL, layers=2, precision="int8", cache=blocked)
    assert model.screen.model_id == f"{DEFAULT_MODEL}@L2@int8"
    assert (model.encode(CLEAR[:2]) * real_embedder.encode(CLEAR[:2])).sum(axis=1).min() > 0.97


def test_the_full_model_finishes_what_the_screen_started(real_embedder):
    exact = LayeredModel(DEFAULT_MODEL, layers=2, batch_size=4)  # float32: exactly the model
    assert exact.model_id == DEFAULT_MODEL and exact.screen.model_id == f"{DEFAULT_MODEL}@L2"
    reference = real_embedder.encode(CLEAR)
    assert (exact.encode(CLEAR) * reference).sum(axis=1).min() > 0.99999
    shallow, partial = exact.screen.start(CLEAR)
    finished = exact.finish(partial, [4, 1])  # any rows, in any order
    assert np.allclose(finished, reference[[4, 1]], atol=1e-4)
    assert np.allclose(shallow, exact.screen.encode(CLEAR), atol=1e-6)
    assert exact.calls == len(CLEAR) + 2


@pytest.mark.model
def test_models_the_fast_path_cannot_split_get_a_clear_error():
    with pytest.raises(InputError, match="LAYERS must be between 1 and 5"):
        LayeredModel(DEFAULT_MODEL, layers=6)


def test_screen_maps_into_the_full_space(fakes):
    full, screen = fakes
    texts = exemplar_fragments(load_policy())[:400]
    fitted = Screen.fit(screen, screen.encode(texts), full.encode(texts))
    mapped = fitted.encode(texts[:50])
    assert mapped.shape == (50, full.dim)
    assert np.allclose(np.linalg.norm(mapped, axis=1), 1.0, atol=1e-5)
    raw = (full.encode(texts[:50]) * mapped).sum(axis=1)
    assert raw.mean() > 0.5  # a fitted map lands near the full model's vectors


def test_fast_path_off_is_the_plain_full_model(engine, db, account, fakes, settings_env):
    settings_env.delenv("IMPARTIAL_FAST_PATH", raising=False)
    full, screen = fakes
    add_posts(db, account, CLEAR)
    summary = assess_pending(engine, embedder=full, screen=screen)
    assert summary.fast_path == "off"
    assert screen.calls == 0
    assert summary.model_calls >= len(CLEAR)
    for a in db.scalars(sa.select(Assessment)).all():
        assert "scored_path" not in a.explanation


def test_fast_path_setting_comes_from_the_environment(engine, db, account, fakes, settings_env):
    settings_env.setenv("IMPARTIAL_FAST_PATH", "cascade")
    full, screen = fakes
    add_posts(db, account, CLEAR[:2])
    summary = assess_pending(engine, embedder=full, screen=screen)
    assert summary.fast_path == "cascade"
    assert screen.calls >= 2
    settings_env.setenv("IMPARTIAL_FAST_PATH", "turbo")
    with pytest.raises(ValidationError, match="fast_path"):
        Settings()
    settings_env.setenv("IMPARTIAL_FAST_PATH", "cascade")
    settings_env.setenv("IMPARTIAL_FAST_PATH_COVERAGE", "1.5")
    with pytest.raises(ValidationError, match="fast_path_coverage"):
        Settings()


def test_posts_with_a_stored_full_vector_are_judged_by_the_full_model(engine, db, account, fakes):
    full, screen = fakes
    add_posts(db, account, CLEAR)
    assess_pending(engine, embedder=full, fast_path="off")  # stores every full vector
    forget_output(db)  # a re-score, e.g. after a policy change
    cascade, _ = cascade_for(db, full, screen)
    calls, screened = full.calls, screen.calls
    summary = assess_pending(
        engine, embedder=full, fast_path="cascade", screen=screen, cascade=cascade
    )
    assert full.calls == calls  # nothing embedded again
    assert screen.calls == screened  # and the screen had nothing to do
    assert summary.screen_kept == 0
    paths = {a.explanation["scored_path"] for a in db.scalars(sa.select(Assessment)).all()}
    assert paths == {FULL}


def test_an_audit_sample_of_settled_posts_is_checked_by_the_full_model(
    engine, db, account, fakes, settings_env
):
    full, screen = fakes
    add_posts(db, account, CLEAR * 2)
    settings_env.setenv("IMPARTIAL_FAST_PATH_AUDIT_RATE", "0")
    settings_env.setenv("IMPARTIAL_FAST_PATH_COVERAGE", "0.6")
    plain = assess_pending(engine, embedder=full, fast_path="cascade", screen=screen)
    assert plain.screen_audited == plain.screen_disagreed == 0
    assert plain.screen_kept > 0
    forget_output(db)
    db.execute(sa.delete(Embedding))
    db.commit()
    settings_env.setenv("IMPARTIAL_FAST_PATH_AUDIT_RATE", "1")
    get_settings.cache_clear()
    audited = assess_pending(engine, embedder=full, fast_path="cascade", screen=screen)
    assert audited.screen_kept == 0
    assert audited.screen_audited == plain.screen_kept  # every settled post, checked
    assert 0 <= audited.screen_disagreed <= audited.screen_audited
    paths = {a.explanation["scored_path"] for a in db.scalars(sa.select(Assessment)).all()}
    assert paths == {FULL}


@pytest.mark.model
def test_the_fast_path_precision_is_a_setting(settings_env):
    settings_env.setenv("IMPARTIAL_FAST_PATH_PRECISION", "float32")
    full, screen = get_fast_embedders()
    assert (full.model_id, screen.model_id) == (DEFAULT_MODEL, f"{DEFAULT_MODEL}@L1")
    settings_env.setenv("IMPARTIAL_FAST_PATH_PRECISION", "bfloat16")
    get_settings.cache_clear()
    assert get_fast_embedders()[0].model_id == f"{DEFAULT_MODEL}@bf16"
    settings_env.setenv("IMPARTIAL_FAST_PATH_PRECISION", "float16")
    with pytest.raises(ValidationError, match="fast_path_precision"):
        Settings()
