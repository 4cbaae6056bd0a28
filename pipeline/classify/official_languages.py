"""Official languages: each official post in English has its French counterpart, and vice versa.

Posts of official accounts are tagged ``en``, ``fr``, ``bilingual`` or ``other`` with py3langid
(the platform's own language tag is often a client default, so it is not trusted). An English or
French post with no counterpart in the other language on its organization's official accounts
within ``official_languages_window_hours`` gets an ``official_languages`` flag, once the window
has passed. Counterparts are matched one to one, best pair first, on time and on content a
translation keeps: numbers, link hosts, hashtags, mentions, and the cosine similarity of the
embeddings when the configured model is multilingual and both vectors are stored.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import numpy as np
from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from pipeline.audit import trail
from pipeline.config import Settings, get_settings
from pipeline.db.models import Classifier, Embedding, Flag

OFFICIAL = ("en", "fr")
MIN_PAIR_SCORE = 0.35
FLAG_RISK = 0.4
_URL = re.compile(r"https?://\S+", re.I)
_TAG = re.compile(r"#(\w+)")
_MENTION = re.compile(r"@(\w[\w.-]*(?:@[\w.-]+)?)")
_NUMBER = re.compile(r"\d+(?:[.,\u00a0\u202f ]\d+)*")
_SEGMENTS = re.compile(r"\n+|\s[|/]\s|\s[-–—]{1,2}\s")


@lru_cache(maxsize=1)
def _identifiers() -> tuple[Any, Any]:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    every = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    official = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    official.set_languages(list(OFFICIAL))
    return every, official


def _words(post_text: str) -> str:
    return " ".join(_MENTION.sub(" ", _TAG.sub(" ", _URL.sub(" ", post_text))).split())


def _identify(segment: str) -> str:
    every, official = _identifiers()
    lang, prob = every.classify(segment)
    if lang in OFFICIAL:
        return lang
    if prob >= 0.5:  # confidently some other language
        return "other"
    lang, prob = official.classify(segment)  # short texts: en or fr if the odds are clear
    return lang if prob >= 0.6 else "other"


def detect_language(post_text: str) -> str:
    """``en``, ``fr``, ``bilingual`` (both, in separate passages) or ``other``."""
    words = _words(post_text)
    if not re.search(r"[^\W\d_]{2,}", words):
        return "other"
    segments = [s for s in (_words(p) for p in _SEGMENTS.split(post_text)) if len(s.split()) >= 3]
    if len(segments) >= 2:
        found = {_identify(s) for s in segments}
        if set(OFFICIAL) <= found:
            return "bilingual"
    return _identify(words)


def tag_official_posts(session: Session) -> int:
    """Tag every untagged official post that still has its text; return how many."""
    rows = session.execute(
        text("""
        SELECT p.id, p.text FROM post p JOIN account a ON a.id = p.account_id
        WHERE a.kind = 'official' AND p.lang_detected IS NULL AND p.text IS NOT NULL
    """)
    ).all()
    if rows:
        session.execute(
            text("UPDATE post SET lang_detected = :lang WHERE id = :id"),
            [{"id": r.id, "lang": detect_language(r.text)} for r in rows],
        )
    return len(rows)


# --- pairing ---------------------------------------------------------------------------------


def _fold(value: str) -> str:
    value = unicodedata.normalize("NFKD", value.lower())
    return "".join(c for c in value if not unicodedata.combining(c))


def _host(url: str) -> str:
    host = urlsplit(url.rstrip(".,;:!?)")).hostname or ""
    return host.removeprefix("www.")


@dataclass(frozen=True)
class Features:
    numbers: frozenset[str]
    hosts: frozenset[str]
    tags: frozenset[str]
    mentions: frozenset[str]


def features(post_text: str) -> Features:
    """What a translation keeps: numbers (separators ignored), link hosts, tags, mentions."""
    without_urls = _URL.sub(" ", post_text)
    return Features(
        numbers=frozenset(re.sub(r"\D", "", n) for n in _NUMBER.findall(without_urls)),
        hosts=frozenset(h for h in (_host(u) for u in _URL.findall(post_text)) if h),
        tags=frozenset(_fold(t) for t in _TAG.findall(without_urls)),
        mentions=frozenset(_fold(m) for m in _MENTION.findall(without_urls)),
    )


def content_similarity(a: Features, b: Features) -> float:
    """Mean Jaccard similarity over the kinds of feature either post has (0.5 if neither)."""
    scores = []
    for left, right in (
        (a.numbers, b.numbers),
        (a.hosts, b.hosts),
        (a.tags, b.tags),
        (a.mentions, b.mentions),
    ):
        if left or right:
            scores.append(len(left & right) / len(left | right))
    return sum(scores) / len(scores) if scores else 0.5


@dataclass
class OfficialPost:
    id: int
    org_unit: str
    lang: str
    published_at: datetime
    content_hash: str
    features: Features


def pair_score(
    a: OfficialPost, b: OfficialPost, window: timedelta, cosine: float | None = None
) -> float:
    """How likely ``b`` is ``a``'s counterpart: 0 outside the window, else in [0, 1]."""
    gap = abs(a.published_at - b.published_at)
    if gap > window:
        return 0.0
    closeness = 1 - gap / window
    content = content_similarity(a.features, b.features)
    if cosine is None:
        return 0.7 * content + 0.3 * closeness
    return 0.4 * content + 0.2 * closeness + 0.4 * max(cosine, 0.0)


def is_multilingual(model: str) -> bool:
    name = model.lower()
    return any(k in name for k in ("multilingual", "labse", "-m3", "xlm", "mstsb", "e5-base-multi"))


def _live_model(session: Session, settings: Settings) -> tuple[str, str]:
    """The live version's model id (whose vectors the assess stage stored) and the model it
    was made from (the same, unless fine-tuned)."""
    live = session.scalar(select(Classifier).where(Classifier.status == "live"))
    if live is None:
        return settings.model, settings.model
    return live.model_id, str((live.params or {}).get("base_model") or live.model_id)


def _vectors(
    session: Session, posts: list[OfficialPost], model: str, base: str
) -> dict[str, np.ndarray]:
    if not is_multilingual(base) or not posts:
        return {}
    rows = session.execute(
        select(Embedding.content_hash, Embedding.vector).where(
            Embedding.model_id == model, Embedding.content_hash.in_({p.content_hash for p in posts})
        )
    ).all()
    return {h: np.asarray(v, dtype=float) / (np.linalg.norm(v) or 1.0) for h, v in rows}


def match(
    posts: list[OfficialPost], window: timedelta, vectors: dict[str, np.ndarray] | None = None
) -> tuple[dict[int, int], dict[int, float]]:
    """One-to-one EN-FR matching within each organization, best pair first.

    Returns (counterpart by post id, best score each post had with any candidate).
    """
    vectors = vectors or {}
    en = [p for p in posts if p.lang == "en"]
    fr = [p for p in posts if p.lang == "fr"]
    pairs: list[tuple[float, int, int]] = []
    best: dict[int, float] = {}
    for a in en:
        for b in fr:
            if a.org_unit != b.org_unit:
                continue
            va, vb = vectors.get(a.content_hash), vectors.get(b.content_hash)
            cosine = float(va @ vb) if va is not None and vb is not None else None
            score = pair_score(a, b, window, cosine)
            best[a.id] = max(best.get(a.id, 0.0), score)
            best[b.id] = max(best.get(b.id, 0.0), score)
            if score >= MIN_PAIR_SCORE:
                pairs.append((score, a.id, b.id))
    matched: dict[int, int] = {}
    for _score, a_id, b_id in sorted(pairs, reverse=True):
        if a_id not in matched and b_id not in matched:
            matched[a_id], matched[b_id] = b_id, a_id
    return matched, best


def check_official_languages(
    session: Session, *, at: datetime | None = None, settings: Settings | None = None
) -> int:
    """Tag official posts, then flag EN/FR posts whose window has passed with no counterpart.

    Looks at posts published in the ``official_languages_lookback_days`` before the window
    closed; re-running is harmless (a post is flagged once per content). Returns flags created.
    """
    settings = settings or get_settings()
    at = at or datetime.now(UTC)
    window = timedelta(hours=settings.official_languages_window_hours)
    due_until = at - window
    due_from = due_until - timedelta(days=settings.official_languages_lookback_days)
    tagged = tag_official_posts(session)
    rows = session.execute(
        text("""
        SELECT p.id, a.org_unit, p.lang_detected, p.published_at, p.content_hash, p.text
        FROM post p JOIN account a ON a.id = p.account_id
        WHERE a.kind = 'official' AND p.lang_detected IN ('en', 'fr') AND p.text IS NOT NULL
          AND p.published_at >= :start AND p.published_at < :end
    """),
        {"start": due_from - window, "end": at},
    ).all()
    posts = [
        OfficialPost(
            r.id, r.org_unit, r.lang_detected, r.published_at, r.content_hash, features(r.text)
        )
        for r in rows
    ]
    model, base = _live_model(session, settings)
    matched, best = match(posts, window, _vectors(session, posts, model, base))
    unpaired = [p for p in posts if p.id not in matched and due_from <= p.published_at < due_until]
    created = 0
    if unpaired:
        created = session.execute(
            insert(Flag)
            .values(
                [
                    {
                        "post_id": p.id,
                        "category": "official_languages",
                        "content_hash": p.content_hash,
                        "score": round(1 - best.get(p.id, 0.0), 3),
                        "risk": FLAG_RISK,
                    }
                    for p in unpaired
                ]
            )
            .on_conflict_do_nothing()
        ).rowcount
    trail.record(
        session,
        "official_languages.check",
        actor="system:official_languages",
        tagged=tagged,
        checked=sum(due_from <= p.published_at < due_until for p in posts),
        unpaired=len(unpaired),
        flags_created=created,
    )
    return created
