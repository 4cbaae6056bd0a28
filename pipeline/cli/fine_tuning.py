"""What ``impartial train --fine-tune`` reports: the held-out estimate, per language, where the
model ran and for how long, and where it is kept."""

from __future__ import annotations

from typing import Any

from pipeline.db.models import Classifier
from pipeline.i18n import _, ngettext


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m{rest:02d}s" if minutes else f"{rest}s"


def fine_tune_summary(row: Classifier) -> list[str]:
    """Lines for stderr (the version alone goes to stdout, last)."""
    m: dict[str, Any] = row.metrics
    ft = m["fine_tune"]
    if ft["reused"]:
        first = _(
            "reused the fine-tuned model %(model)s from the model cache (same rows and "
            "settings): no training ran; it took %(took)s on %(device)s"
        ) % {"model": row.model_id, "took": _duration(ft["seconds"]), "device": ft["device"]}
    else:
        first = _(
            "fine-tuned %(base)s on %(rows)s rows, %(epochs)s epoch(s), on %(device)s in %(took)s"
        ) % {
            "base": ft["base_model"],
            "rows": ft["rows_trained"],
            "epochs": ft["epochs"],
            "device": ft["device"],
            "took": _duration(ft["seconds"]),
        }
        if ft["refit"]:
            first += " " + _("(estimate, then all rows)")
    f1 = f"{m['macro_f1']:.3f}"
    if "grouped" in m:
        sources = m["grouped"]["held_out_sources"]
        held = _(
            "held-out macro-F1 %(f1)s on %(rows)s rows of %(n)s whole source(s) held out "
            "(%(sources)s)"
        ) % {
            "f1": f1,
            "rows": ft["rows_held_out"],
            "n": len(sources),
            "sources": ", ".join(sources),
        }
    else:
        how = (
            _("(a stratified share of the rows)")
            if ft.get("hold_out", "rows") == "rows"
            else _("(a stratified share: the rows name fewer than 3 sources)")
        )
        held = _("held-out macro-F1 %(f1)s on %(rows)s rows %(how)s") % {
            "f1": f1,
            "rows": ft["rows_held_out"],
            "how": how,
        }
    langs = ", ".join(
        _("%(lang)s %(f1)s (%(rows)s rows)")
        % {"lang": lang, "f1": f"{v['macro_f1']:.3f}", "rows": v["rows"]}
        for lang, v in m["by_lang"].items()
    )
    lines = [first, held, _("by language: %(langs)s") % {"langs": langs}]
    from_policy = [c for c, origin in m["thresholds_from"].items() if origin == "policy"]
    if from_policy:
        lines.append(
            ngettext(
                "no held-out row for %(categories)s: the policy's threshold is kept for it",
                "no held-out row for %(categories)s: the policy's threshold is kept for them",
                len(from_policy),
            )
            % {"categories": ", ".join(from_policy)}
        )
    lines.append(
        _("model %(model)s; status %(status)s; thresholds %(thresholds)s")
        % {
            "model": row.model_id,
            "status": row.status,
            "thresholds": ", ".join(f"{k}={v:.2f}" for k, v in row.thresholds.items() if v <= 1),
        }
    )
    return lines
