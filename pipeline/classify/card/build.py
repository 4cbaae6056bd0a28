"""``model_card``: one classifier version described for the people who answer for it.

The card is a plain dict (the JSON form; Markdown and the web page are drawn from it): the
version's identity, its fixed texts in the chosen language, its stored figures and one figure
measured now, the disagreement with the live version on recent posts. Figures never measured
are None. ``performance`` holds ``kfold``, ``second`` (the estimate that keeps similar posts
apart: ``method`` is ``grouped`` or ``holdout``), their ``gap`` and ``by_lang``; ``limits``
holds ``{code, text}`` items, ``general`` for the fixed ones. Reading a card writes nothing and
holds no personal information (counts and rates only), so, like ``classifier list``, it is not
audited.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from pipeline.classify.card import figures
from pipeline.classify.card.texts import language, language_name, number, texts
from pipeline.classify.guidance import load_policy
from pipeline.classify.versions import get_version, load_policy_thresholds, top_category
from pipeline.clock import now
from pipeline.db.models import Assessment, Classifier
from pipeline.errors import InputError

CARD_FORMAT = "impartial.model-card/1"
DEFAULT_DAYS = 30


def resolve(session: Session, version: str) -> Classifier:
    """The version named, or the live one for ``live``; unknown names get the usual error."""
    if version == "live":
        row = session.scalar(sa.select(Classifier).where(Classifier.status == "live"))
        if row is None:
            raise InputError("no classifier version is live yet (impartial classifier list)")
        return row
    return get_version(session, version)


def model_card(
    session: Session,
    version: str,
    *,
    lang: str = "en",
    days: int = DEFAULT_DAYS,
    at: datetime | None = None,
) -> dict[str, Any]:
    lang = language(lang)
    if days < 1:
        raise InputError("days: give 1 or more")
    row = resolve(session, version)
    t = texts(lang)
    categories = list(load_policy().categories)
    metrics, params = row.metrics or {}, row.params or {}
    kind = str(params.get("kind") or "shipped")
    folds = figures.kfold(metrics)
    second = figures.second_estimate(metrics)
    labels = list(((folds or {}).get("per_label") or {}).keys()) or list(
        metrics.get("labels") or []
    )
    label_map = figures.mapping(params, labels, categories)
    fine_tune = metrics.get("fine_tune") if isinstance(metrics.get("fine_tune"), dict) else None
    perf = {
        "kfold": figures.estimate("kfold", folds, label_map, categories) if folds else None,
        "second": figures.estimate(second[0], second[1], label_map, categories) if second else None,
        "by_lang": figures.by_language(metrics),
    }
    gap = None
    if perf["kfold"] and perf["second"]:
        a, b = perf["kfold"]["macro_f1"], perf["second"]["macro_f1"]
        gap = round(a - b, 4) if a is not None and b is not None else None
    perf["gap"] = gap
    card: dict[str, Any] = {
        "format": CARD_FORMAT,
        "lang": lang,
        "version": row.version,
        "status": row.status,
        "kind": kind,
        "created_at": row.created_at.isoformat() if row.created_at else None,
        "activated_at": row.activated_at.isoformat() if row.activated_at else None,
        "model_id": row.model_id,
        # a head sits on the embedding model itself; a fine-tuned model records its base
        "base_model": params.get("base_model")
        or (fine_tune or {}).get("base_model")
        or (None if kind == "fine-tuned" else row.model_id),
        "policy_version": row.policy_version,
        "system": f"{t['system']} {t['kind_description'].get(kind, '')}".strip(),
        "intended_use": list(t["intended_use"]),
        "out_of_scope": list(t["out_of_scope"]),
        "training_data": figures.training_data(metrics, label_map),
        "fine_tune": fine_tune,
        "performance": perf,
        "thresholds": thresholds(row, kind, label_map, categories),
        "disagreement": disagreement(session, row, days=days, at=at),
        "human_involvement": list(t["human_involvement"]),
        "recourse": list(t["recourse"]),
        "feeds": dict(t["feeds"]),
    }
    card["limits"] = [{"code": "general", "text": text} for text in t["limits"]] + [
        {"code": code, "text": word_limit(code, values, lang)}
        for code, values in figures.limits(card, categories)
    ]
    return card


def thresholds(
    row: Classifier, kind: str, label_map: Mapping[str, list[str]] | None, categories: list[str]
) -> dict[str, dict[str, Any]]:
    """Each category's threshold, and whether training set it or the shipped policy did."""
    policy = load_policy_thresholds()
    stored = row.thresholds or {}
    trained = (
        {c for cats in (label_map or {}).values() for c in cats} if kind != "shipped" else set()
    )
    return {
        c: {
            "threshold": float(stored.get(c, policy.get(c, 1.0))),
            "source": "trained" if c in trained and c in stored else "policy",
        }
        for c in [*categories, *sorted(set(stored) - set(categories))]
    }


def disagreement(
    session: Session, row: Classifier, *, days: int, at: datetime | None = None
) -> dict[str, Any]:
    """How often this version's top flagged category differs from the live version's, on the
    posts this version assessed in the last ``days`` days that the live version assessed too
    (same text), and the flag rate of each on those posts."""
    since = now(at) - timedelta(days=days)
    live = session.scalar(sa.select(Classifier).where(Classifier.status == "live"))
    policy = load_policy_thresholds()
    mine = {**policy, **(row.thresholds or {})}
    recent = Assessment.classifier_id == row.id, Assessment.created_at >= since
    assessed = flagged = 0
    for (scores,) in session.execute(sa.select(Assessment.scores).where(*recent)):
        assessed += 1
        flagged += top_category(scores, mine) != "none"
    out: dict[str, Any] = {
        "days": days,
        "since": since.isoformat(),
        "live": live.version if live else None,
        "assessed": assessed,
        "own_flag_rate": round(flagged / assessed, 4) if assessed else None,
        "compared": None,
        "differ": None,
        "share": None,
        "flag_rate": {"version": None, "live": None},
        "state": "compared",
    }
    if live is None:
        out["state"] = "no_live"
        return out
    if live.id == row.id:
        out["state"] = "is_live"
        return out
    theirs = {**policy, **(live.thresholds or {})}
    other = aliased(Assessment)
    pairs = session.execute(
        sa.select(Assessment.scores, other.scores)
        .join(
            other,
            sa.and_(
                other.post_id == Assessment.post_id,
                other.content_hash == Assessment.content_hash,
                other.classifier_id == live.id,
            ),
        )
        .where(*recent)
    )
    compared = differ = flagged_mine = flagged_live = 0
    for a, b in pairs:
        ta, tb = top_category(a, mine), top_category(b, theirs)
        compared += 1
        differ += ta != tb
        flagged_mine += ta != "none"
        flagged_live += tb != "none"
    out["compared"] = compared
    if not compared:
        out["state"] = "no_overlap"
        return out
    out.update(
        differ=differ,
        share=round(differ / compared, 4),
        flag_rate={
            "version": round(flagged_mine / compared, 4),
            "live": round(flagged_live / compared, 4),
        },
    )
    return out


def word_limit(code: str, values: dict[str, Any], lang: str) -> str:
    """A data-driven limit in the card's language (numbers and language names localized)."""
    shown = dict(values)
    for key in ("value", "best", "gap", "kfold", "other"):
        if key in shown:
            shown[key] = number(shown[key], lang)
    for key in ("language", "best_language"):
        if key in shown:
            shown[key] = language_name(shown[key], lang)
    if "categories" in shown:
        shown["categories"] = ", ".join(shown["categories"])
    if "method" in shown:
        shown["method"] = texts(lang)["method"][shown["method"]]
    return texts(lang)["limit"][code].format(**shown)


def summaries(session: Session) -> list[dict[str, Any]]:
    """Every version in creation order, with the figures a list shows (None: not measured)."""
    out = []
    for row in session.scalars(sa.select(Classifier).order_by(Classifier.id)):
        metrics = row.metrics or {}
        folds, second = figures.kfold(metrics), figures.second_estimate(metrics)
        out.append(
            {
                "version": row.version,
                "status": row.status,
                "kind": str((row.params or {}).get("kind") or "shipped"),
                "created_at": row.created_at.isoformat() if row.created_at else None,
                "macro_f1": (folds or {}).get("macro_f1"),
                "second_macro_f1": second[1].get("macro_f1") if second else None,
            }
        )
    return out
