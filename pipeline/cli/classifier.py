"""``impartial assess|train|eval|classifier``: the guidance classifier (``check`` is in
``pipeline.cli.check``).

Each command imports the classifier inside its function, so that ``impartial --help`` does not
load scikit-learn and the model libraries.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from pipeline.audit.trail import cli_actor
from pipeline.cli.common import console, database_errors, err, session
from pipeline.cli.fine_tuning import fine_tune_summary
from pipeline.i18n import _

classifier_app = typer.Typer(
    help="Classifier versions: list, activate, shadow, compare, card.", no_args_is_help=True
)

MAP_HELP = "LABEL=CATEGORY[,CATEGORY...] (repeatable); 'none' means no flag."


@contextmanager
def progress_bar(description: str, enabled: bool = True, *, eta: bool = False) -> Iterator:
    """A progress bar on stderr; ``eta`` adds the time spent and the time left (long work)."""
    if not enabled:
        yield None
        return
    timing = (TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn()) if eta else ()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        *timing,
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def assess(
    batch_size: int = typer.Option(None, "--batch-size", help="Posts per transaction."),
) -> None:
    """Embed and score every post not yet assessed by the live (and shadow) classifiers.

    Example: impartial assess
    """
    from pipeline.classify.assess import assess_pending

    with database_errors(), progress_bar(_("assessing")) as progress:
        summary = assess_pending(batch_size=batch_size, progress=progress)
    console.print_json(data=summary.as_dict())


def describe_estimates(m: dict) -> str:
    """The k-fold and the grouped macro-F1 side by side, the grouped one to expect."""
    kfold = _("macro-F1 %(f1)s (%(folds)s-fold)") % {
        "f1": f"{m['macro_f1']:.3f}",
        "folds": m["folds"],
    }
    grouped = m.get("grouped")
    if grouped:
        return _(
            "%(kfold)s, %(f1)s grouped by source (%(folds)s folds over %(groups)s sources): "
            "expect the grouped figure on posts from elsewhere"
        ) % {
            "kfold": kfold,
            "f1": f"{grouped['macro_f1']:.3f}",
            "folds": grouped["folds"],
            "groups": grouped["groups"],
        }
    sources = len(m.get("training_data", {}).get("by_source", {}))
    return _(
        "%(kfold)s; no grouped estimate: the rows come from %(n)s source(s), give rows a "
        "'source' (3 or more) to hold whole sources out"
    ) % {"kfold": kfold, "n": sources}


def train(
    file: Path = typer.Argument(
        ..., help="JSONL with 'text' and 'label' per line, e.g. from 'impartial export decisions'."
    ),
    also: list[Path] = typer.Option(
        None,
        "--also",
        help="Another labeled file to train on with FILE (repeatable); --map applies to all.",
    ),
    map_: list[str] = typer.Option(None, "--map", help=MAP_HELP),
    activate: bool = typer.Option(False, "--activate", help="Make the new version live."),
    target_precision: float = typer.Option(
        0.6,
        "--target-precision",
        min=0.0,
        max=1.0,
        help="Thresholds take the best F1, raised until precision reaches this.",
    ),
    c: float = typer.Option(1.0, "--c", min=1e-4, help="Inverse regularization strength."),
    fine_tune: bool = typer.Option(
        False,
        "--fine-tune",
        help="Fine-tune the model itself (not only a head on its vectors); estimated on a "
        "held-out part (see --hold-out). About 2.5 min per epoch per 2,500 rows on 2 CPU "
        "cores; a GPU is used when PyTorch sees one.",
    ),
    hold_out: str = typer.Option(
        "rows",
        "--hold-out",
        help="What the fine-tuned version is estimated and its thresholds picked on: 'rows' "
        "(a stratified 15-20% of the rows) or 'sources' (whole sources, when the rows name 3 "
        "or more: the pessimistic figure for sources unlike any trained on).",
    ),
    epochs: int = typer.Option(3, "--epochs", min=1, help="Passes over the rows (--fine-tune)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the split, the batches and the model."),
    refit: bool = typer.Option(
        False,
        "--refit",
        help="After the estimate, fine-tune again on all rows, keeping the held-out "
        "thresholds (twice the time).",
    ),
    max_seq_length: int = typer.Option(
        128, "--max-seq-length", min=8, max=512, help="Tokens read per post (--fine-tune)."
    ),
) -> None:
    """Train a classifier version on labeled posts; prints the version alone on the last line.

    With --fine-tune the model is fine-tuned with a linear head; the version's model is the
    fine-tuned one (kept in the model cache, reused by an identical run), and the estimate is
    the held-out macro-F1, per language.

    Reports the k-fold macro-F1 and, when the rows come from 3 or more sources, the one with
    whole sources held out. Rows of 'impartial export decisions' train as they are (their labels
    are categories or none) and count as one source.

    Example: impartial train decisions.jsonl --also posts.jsonl --map offensive=vulgar
    --map benign=none --activate

    Example: impartial train posts.jsonl --map ... --fine-tune --epochs 3 --refit
    """
    from pipeline.classify.finetune.recipe import Recipe
    from pipeline.classify.versions import train_version

    recipe = Recipe(
        epochs=epochs, seed=seed, refit=refit, max_seq_length=max_seq_length, hold_out=hold_out
    )
    bar = progress_bar(_("fine-tuning"), eta=True) if fine_tune else progress_bar(_("embedding"))
    with session() as uow, bar as progress:
        row = train_version(
            uow.session,
            [file, *(also or [])],
            map_,
            activate=activate,
            target_precision=target_precision,
            c=c,
            progress=progress,
            actor=cli_actor(),
            fine_tune=recipe if fine_tune else False,
        )
        uow.commit()
        m = row.metrics
        if fine_tune:
            for line in fine_tune_summary(row):
                err.print(line, markup=False, highlight=False)
        else:
            err.print(
                _("trained on %(rows)s rows: %(estimates)s; status %(status)s; thresholds %(t)s")
                % {
                    "rows": m["rows_trained"],
                    "estimates": describe_estimates(m),
                    "status": row.status,
                    "t": ", ".join(f"{k}={v:.2f}" for k, v in row.thresholds.items()),
                }
            )
        version = row.version
    print(version)


def evaluate(
    file: Path = typer.Argument(..., help="JSONL with 'text' and 'label' per line."),
    map_: list[str] = typer.Option(None, "--map", help=MAP_HELP),
    version: str = typer.Option(None, "--classifier", help="Version (default: the live one)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Evaluate a classifier on labeled posts: per-label P/R/F1, macro-F1, confusion matrix.

    Example: impartial eval dev.jsonl --map offensive=vulgar --map benign=none --json
    """
    from pipeline.classify.versions import evaluate_file

    with session() as uow, progress_bar(_("embedding"), not as_json) as progress:
        result = evaluate_file(uow.session, file, map_, version=version, progress=progress)
        uow.commit()  # keeps the embeddings cached for the next run
    if as_json:
        print(json.dumps(result))
        return
    table = Table(
        _("label"),
        _("precision"),
        _("recall"),
        "F1",
        _("support"),
        title=_("%(classifier)s on %(file)s")
        % {"classifier": result["classifier"], "file": file.name},
    )
    for label, m in result["per_label"].items():
        table.add_row(
            label,
            f"{m['precision']:.3f}",
            f"{m['recall']:.3f}",
            f"{m['f1']:.3f}",
            str(m["support"]),
        )
    console.print(table)
    confusion = Table(_("truth \\ predicted"), *result["labels"], title=_("confusion matrix"))
    for label, row in zip(result["labels"], result["confusion"], strict=True):
        confusion.add_row(label, *(str(v) for v in row))
    console.print(confusion)
    console.print(
        _("macro-F1 %(f1)s  accuracy %(accuracy)s")
        % {"f1": f"{result['macro_f1']:.4f}", "accuracy": f"{result['accuracy']:.4f}"}
    )


@classifier_app.command("list")
def list_(as_json: bool = typer.Option(False, "--json", help="Print one JSON array.")) -> None:
    """List classifier versions with status and macro-F1.

    Example: impartial classifier list
    """
    from pipeline.classify.versions import list_versions

    with session() as uow:
        if as_json:
            print(
                json.dumps(
                    [
                        {
                            "version": r.version,
                            "status": r.status,
                            "model_id": r.model_id,
                            "policy_version": r.policy_version,
                            "macro_f1": r.metrics.get("macro_f1"),
                            "thresholds": r.thresholds,
                            "created_at": r.created_at.isoformat(),
                        }
                        for r in list_versions(uow.session)
                    ]
                )
            )
            return
        table = Table(_("version"), _("status"), _("model"), _("policy"), "macro-F1", _("created"))
        for row in list_versions(uow.session):
            f1 = row.metrics.get("macro_f1")
            table.add_row(
                row.version,
                row.status,
                row.model_id,
                row.policy_version,
                "" if f1 is None else f"{f1:.3f}",
                f"{row.created_at:%Y-%m-%d %H:%M}",
            )
    console.print(table)


@classifier_app.command("activate")
def activate(version: str = typer.Argument(..., help="Version to make live.")) -> None:
    """Make a version live (the previous live version is retired).

    Example: impartial classifier activate trained-20260101120000-abc123
    """
    from pipeline.classify.versions import set_status

    with session() as uow:
        set_status(uow.session, version, "live", actor=cli_actor())
        uow.commit()
    console.print(_("%(version)s is live") % {"version": version})


@classifier_app.command("shadow")
def shadow(version: str = typer.Argument(..., help="Version to run in shadow.")) -> None:
    """Score posts with a version alongside the live one, without creating flags.

    Example: impartial classifier shadow trained-20260101120000-abc123
    """
    from pipeline.classify.versions import set_status

    with session() as uow:
        set_status(uow.session, version, "shadow", actor=cli_actor())
        uow.commit()
    console.print(_("%(version)s runs in shadow") % {"version": version})


@classifier_app.command("compare")
def compare(
    limit: int = typer.Option(20, "--limit", min=1),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Show where the shadow classifier disagrees with the live one.

    Example: impartial classifier compare --limit 10
    """
    from pipeline.classify.versions import compare as run_compare

    with session() as uow:
        result = run_compare(uow.session, limit=limit)
    if as_json:
        print(json.dumps(result))
        return
    console.print(
        _("live %(live)s vs shadow %(shadow)s: %(disagree)s of %(compared)s posts disagree")
        % result
    )
    table = Table(_("post"), _("live"), _("shadow"), _("live risk"), _("shadow risk"))
    for d in result["examples"]:
        table.add_row(
            str(d["post_id"]), d["live"], d["shadow"], str(d["live_risk"]), str(d["shadow_risk"])
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command("assess")(assess)
    app.command("train")(train)
    app.command("eval")(evaluate)
    app.add_typer(classifier_app, name="classifier")
