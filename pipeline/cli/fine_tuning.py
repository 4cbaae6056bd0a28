"""What ``impartial train --fine-tune`` reports: the held-out estimate, per language, where the
model ran and for how long, and where it is kept."""

from __future__ import annotations

from typing import Any

from pipeline.db.models import Classifier


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m{rest:02d}s" if minutes else f"{rest}s"


def fine_tune_summary(row: Classifier) -> list[str]:
    """Lines for stderr (the version alone goes to stdout, last)."""
    m: dict[str, Any] = row.metrics
    ft = m["fine_tune"]
    if ft["reused"]:
        first = (
            f"reused the fine-tuned model {row.model_id} from the model cache (same rows and "
            f"settings): no training ran; it took {_duration(ft['seconds'])} on {ft['device']}"
        )
    else:
        first = (
            f"fine-tuned {ft['base_model']} on {ft['rows_trained']} rows, {ft['epochs']} "
            f"epoch(s), on {ft['device']} in {_duration(ft['seconds'])}"
            + (" (estimate, then all rows)" if ft["refit"] else "")
        )
    if "grouped" in m:
        sources = m["grouped"]["held_out_sources"]
        held = (
            f"held-out macro-F1 {m['macro_f1']:.3f} on {ft['rows_held_out']} rows of "
            f"{len(sources)} whole source(s) held out ({', '.join(sources)})"
        )
    else:
        held = f"held-out macro-F1 {m['macro_f1']:.3f} on {ft['rows_held_out']} rows " + (
            "(a stratified share of the rows)"
            if ft.get("hold_out", "rows") == "rows"
            else "(a stratified share: the rows name fewer than 3 sources)"
        )
    langs = ", ".join(
        f"{lang} {v['macro_f1']:.3f} ({v['rows']} rows)" for lang, v in m["by_lang"].items()
    )
    lines = [first, held, f"by language: {langs}"]
    from_policy = [c for c, origin in m["thresholds_from"].items() if origin == "policy"]
    if from_policy:
        lines.append(
            "no held-out row for "
            + ", ".join(from_policy)
            + ": the policy's threshold is kept for "
            + ("it" if len(from_policy) == 1 else "them")
        )
    lines.append(
        f"model {row.model_id}; status {row.status}; thresholds "
        + ", ".join(f"{k}={v:.2f}" for k, v in row.thresholds.items() if v <= 1)
    )
    return lines
